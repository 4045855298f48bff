// exif.go owns reading and rewriting a JPEG's metadata without touching
// its image data: walking the header's segments, the EXIF orientation, and
// removing the location (the Exif GPS IFD, XMP naming GPS fields) as the
// bytes stream past. Like images.go it is pure: bytes in, bytes out.

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// The JPEG markers this file acts on (ITU T.81, table B.1).
const (
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerAPP1 = 0xE1
)

// maxSegment is the most a JPEG header segment can take: the 0xFF, the
// marker, a two-byte length and at most 65,533 bytes of payload.
const maxSegment = 4 + 0xFFFF - 2

// errBadSegment is a marker segment whose length is less than its own two
// bytes: nothing after it can be followed.
var errBadSegment = errors.New("jpeg: bad segment length")

// jpegSegment is one piece of a JPEG's header as read by readJPEGSegment.
type jpegSegment struct {
	raw     []byte // the bytes as read, to be written back unchanged
	marker  byte   // 0 for bytes that are not a marker: stray or fill bytes
	payload []byte // within raw: what follows the length; nil if none
}

// readJPEGSegment reads the next piece of a JPEG header after its SOI into
// buf, which must hold maxSegment bytes: a marker and, for markers that
// have one, its length and payload. Bytes that are not a marker (stray
// bytes, which decoders such as libjpeg skip, or 0xFF fill bytes) come back
// as marker 0, at most len(buf) at a time, so memory stays bounded however
// many there are. It returns io.EOF at the end of r, errSegmentCut with
// what was read of a segment that r ends within, and r's other errors as
// they are.
func readJPEGSegment(r *bufio.Reader, buf []byte) (jpegSegment, error) {
	raw := buf[:0]
	b, err := r.ReadByte()
	if err != nil {
		return jpegSegment{}, err
	}
	raw = append(raw, b)
	if b != 0xFF {
		for len(raw) < len(buf) {
			if next, err := r.Peek(1); err != nil || next[0] == 0xFF {
				break
			}
			c, _ := r.ReadByte()
			raw = append(raw, c)
		}
		return jpegSegment{raw: raw}, nil
	}
	next, err := r.Peek(1)
	if err != nil {
		return jpegSegment{raw: raw}, nil // a lone 0xFF at the end
	}
	if next[0] == 0xFF || next[0] == 0x00 {
		// A fill byte (the marker follows), or 0xFF00, which is no marker.
		return jpegSegment{raw: raw}, nil
	}
	m, _ := r.ReadByte()
	raw = append(raw, m)
	if m == 0x01 || (m >= 0xD0 && m <= markerEOI) {
		return jpegSegment{raw: raw, marker: m}, nil // TEM, RSTn, SOI, EOI: no length
	}
	seg := jpegSegment{raw: raw, marker: m}
	n, err := readJPEGBytes(r, buf[2:4])
	seg.raw = buf[:2+n]
	if err != nil {
		return seg, err
	}
	length := int(binary.BigEndian.Uint16(buf[2:4]))
	if length < 2 {
		return seg, errBadSegment
	}
	n, err = readJPEGBytes(r, buf[4:2+length])
	seg.raw = buf[:4+n]
	seg.payload = buf[4 : 4+n]
	return seg, err
}

// errSegmentCut is a JPEG whose input ends (io.EOF) within a segment.
var errSegmentCut = errors.New("jpeg: segment cut short")

// readJPEGBytes is io.ReadFull, except that the input ending early is
// errSegmentCut and any other error is r's own, unchanged: io.ReadFull
// returns io.ErrUnexpectedEOF for both, but an HTTP body cut short reports
// io.ErrUnexpectedEOF itself, and that must reach the upload as an error,
// not pass for a short file.
func readJPEGBytes(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		n += k
		switch {
		case err == io.EOF && n < len(p):
			return n, errSegmentCut
		case err != nil && err != io.EOF:
			return n, err
		}
	}
	return n, nil
}

// readOrientation returns the EXIF orientation (1–8) of the JPEG read from
// r: the Orientation tag (0x0112) of IFD0 in its first Exif APP1 segment.
// It returns 1 when r holds no JPEG, or one without Exif, without the tag,
// or with a value outside 1–8, and an error only when reading r fails. It
// reads no further than the start of the image data.
func readOrientation(r io.Reader) (int, error) {
	br := bufio.NewReader(r)
	if soi, err := br.Peek(2); err != nil || soi[0] != 0xFF || soi[1] != markerSOI {
		return 1, ignoreEOF(err)
	}
	br.Discard(2)
	buf := make([]byte, maxSegment)
	for {
		seg, err := readJPEGSegment(br, buf)
		if err != nil {
			if errors.Is(err, errBadSegment) || errors.Is(err, errSegmentCut) {
				return 1, nil
			}
			return 1, ignoreEOF(err)
		}
		switch seg.marker {
		case markerSOS, markerEOI:
			return 1, nil
		case markerAPP1:
			if tiff := exifTIFF(seg.payload); tiff != nil {
				return exifOrientation(tiff), nil
			}
		}
	}
}

// ignoreEOF is err, except that the end of the input (expected or not) is
// no error.
func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// The EXIF tags this file reads or removes.
const (
	tagOrientation = 0x0112
	tagGPSInfo     = 0x8825 // IFD0's pointer to the GPS IFD
)

// tiffTypeSize is the size in bytes of one value of each TIFF field type
// (TIFF 6.0 section 2, plus 13, IFD, from TIFF Technical Note 1); 0 for a
// type it does not know.
var tiffTypeSize = [...]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

// exifTIFF returns the TIFF structure of an APP1 payload that is Exif, and
// nil for any other APP1 (XMP, for one). The sixth byte should be 0 but is
// not checked: some writers put 0xFF there, and readers accept it.
func exifTIFF(payload []byte) []byte {
	if len(payload) < 6 || string(payload[:5]) != "Exif\x00" {
		return nil
	}
	return payload[6:]
}

// tiffIFD0 reads a TIFF header: its byte order, and the offset and entry
// count of IFD0. ok is false unless the header is II or MM and IFD0 lies
// whole within tiff.
func tiffIFD0(tiff []byte) (bo binary.ByteOrder, ifd, n int, ok bool) {
	if len(tiff) < 8 {
		return nil, 0, 0, false
	}
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return nil, 0, 0, false
	}
	off := bo.Uint32(tiff[4:])
	n, ok = tiffIFD(tiff, bo, off)
	return bo, int(off), n, ok
}

// tiffIFD returns the entry count of the IFD at off, if the IFD (count,
// 12-byte entries and the next IFD's offset) lies whole within tiff and
// after its header.
func tiffIFD(tiff []byte, bo binary.ByteOrder, off uint32) (int, bool) {
	if off < 8 || uint64(off)+2 > uint64(len(tiff)) {
		return 0, false
	}
	n := int(bo.Uint16(tiff[off:]))
	if uint64(off)+ifdSize(n) > uint64(len(tiff)) {
		return 0, false
	}
	return n, true
}

// ifdSize is the size of an IFD of n entries: its count, its entries and
// the next IFD's offset.
func ifdSize(n int) uint64 { return 2 + 12*uint64(n) + 4 }

// exifOrientation returns the orientation in IFD0 of an Exif TIFF
// structure, and 1 when there is none or it is not a SHORT in 1–8.
func exifOrientation(tiff []byte) int {
	bo, ifd, n, ok := tiffIFD0(tiff)
	if !ok {
		return 1
	}
	for i := range n {
		e := tiff[ifd+2+12*i:]
		if bo.Uint16(e) != tagOrientation || bo.Uint16(e[2:]) != 3 || bo.Uint32(e[4:]) < 1 {
			continue
		}
		if v := int(bo.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// stripJPEGLocation returns a reader of the JPEG read from r without its
// location: the GPS IFD of its Exif is removed in place, and any XMP
// segment that mentions GPS fields is dropped. Everything else passes
// through byte for byte: the other metadata (orientation, camera, time),
// and from the start of the image data (SOS) to the end, the input
// untouched. Input that is not a JPEG, or has no location, comes out
// byte-identical.
//
// It streams: it holds one header segment at a time (at most 64 KiB) and
// then copies. Its reads fail only when reading r fails. Bytes after the
// first SOS are not looked at: a second image appended to the file (a
// Multi-Picture gain map or depth image) keeps whatever metadata it has;
// phones do not put location there.
//
// A segment that cannot be followed safely never stops the image from
// being stored, and never lets a location through: an Exif segment whose
// structure is broken, or whose GPS fields point where rewriting them would
// damage the rest, is dropped whole. The photo may then lose its
// orientation, which is better than keeping a home's coordinates. A header
// too broken to walk (a segment length under 2) ends the walk there and the
// rest passes through; decoders cannot show such a file either.
func stripJPEGLocation(r io.Reader) io.Reader {
	return &locationStripper{src: bufio.NewReader(r)}
}

// locationStripper is the reader stripJPEGLocation returns. Like any
// reader it is for one goroutine at a time.
type locationStripper struct {
	src     *bufio.Reader
	started bool   // the first two bytes have been looked at
	buf     []byte // one segment; out points into it
	out     []byte // header bytes to return before reading on
	body    bool   // past the header: the rest of src passes through
	err     error  // how the header ended, once src ended within it
}

func (s *locationStripper) Read(p []byte) (int, error) {
	for len(s.out) == 0 && !s.body && s.err == nil {
		s.next()
	}
	if len(s.out) > 0 {
		n := copy(p, s.out)
		s.out = s.out[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	return s.src.Read(p)
}

// next reads the next piece of the header into out, rewritten or dropped.
func (s *locationStripper) next() {
	if !s.started {
		s.started = true
		if soi, err := s.src.Peek(2); err != nil || soi[0] != 0xFF || soi[1] != markerSOI {
			s.body = true // not a JPEG: all of it passes through
			return
		}
		s.buf = make([]byte, maxSegment)
		s.src.Discard(2)
		s.out = append(s.buf[:0], 0xFF, markerSOI)
		return
	}
	seg, err := readJPEGSegment(s.src, s.buf)
	switch {
	case err == nil:
	case errors.Is(err, errBadSegment):
		s.out, s.body = seg.raw, true
		return
	default:
		// The input ended or failed within a segment. A partial APP1
		// could hold part of a location, so it goes; anything else
		// stays as sent.
		if seg.marker != markerAPP1 {
			s.out = seg.raw
		}
		s.err = err
		if errors.Is(err, errSegmentCut) {
			s.err = io.EOF // a short file is the sender's affair
		}
		return
	}
	switch seg.marker {
	case markerSOS, markerEOI:
		s.body = true
	case markerAPP1:
		if !stripAPP1(seg.payload) {
			return // dropped
		}
	}
	s.out = seg.raw
}

// xmpHeaders start the APP1 payloads that are XMP: a packet, and the
// extension that carries what does not fit in one segment.
var xmpHeaders = []string{"http://ns.adobe.com/xap/1.0/\x00", "http://ns.adobe.com/xmp/extension/\x00"}

// stripAPP1 removes the location from an APP1 payload in place, and
// reports whether the segment is to be kept. An XMP segment naming any GPS
// property (exif:GPSLatitude, or the same under another prefix) is dropped
// whole: XMP is text with many spellings, and a photo keeps its
// orientation and camera in Exif anyway.
func stripAPP1(payload []byte) bool {
	if tiff := exifTIFF(payload); tiff != nil {
		return stripExifGPS(tiff)
	}
	for _, h := range xmpHeaders {
		if bytes.HasPrefix(payload, []byte(h)) {
			return !bytes.Contains(payload, []byte(":GPS"))
		}
	}
	return true
}

// stripExifGPS removes the GPS IFD from an Exif TIFF structure in place and
// reports whether the structure is to be kept. The layout stays as it was,
// so every other offset stays valid and the segment keeps its length: the
// GPSInfo entry leaves IFD0 (the entries after it, and the next IFD's
// offset, move up by one entry and the freed 12 bytes become zeros), and
// the GPS IFD and the values it points to become zeros.
//
// It returns false, for the caller to drop the segment, when the structure
// cannot be followed (IFD0 or the GPS IFD outside the segment, a GPS field
// of a type whose size is unknown or whose value lies outside) or when
// zeroing the GPS data would overwrite the TIFF header or IFD0 itself.
// Without GPSInfo it changes nothing and returns true.
func stripExifGPS(tiff []byte) bool {
	bo, ifd, n, ok := tiffIFD0(tiff)
	if !ok {
		return false
	}
	for i := 0; i < n; {
		e := ifd + 2 + 12*i
		if bo.Uint16(tiff[e:]) != tagGPSInfo {
			i++
			continue
		}
		typ, count := bo.Uint16(tiff[e+2:]), bo.Uint32(tiff[e+4:])
		if (typ != 4 && typ != 13) || count != 1 {
			return false
		}
		ifd0 := span{uint64(ifd), uint64(ifd) + ifdSize(n)}
		if !zeroGPS(tiff, bo, bo.Uint32(tiff[e+8:]), ifd0) {
			return false
		}
		end := int(ifd0.end)
		copy(tiff[e:end-12], tiff[e+12:end])
		clear(tiff[end-12 : end])
		n--
		bo.PutUint16(tiff[ifd:], uint16(n))
	}
	return true
}

// span is a byte range [start, end) of a TIFF structure.
type span struct{ start, end uint64 }

func (a span) overlaps(b span) bool { return a.start < b.end && b.start < a.end }

// zeroGPS overwrites with zeros the GPS IFD at off in tiff and the values
// its entries point to. It checks every range first and changes nothing
// (and returns false) if any lies outside tiff or over its header or IFD0.
func zeroGPS(tiff []byte, bo binary.ByteOrder, off uint32, ifd0 span) bool {
	m, ok := tiffIFD(tiff, bo, off)
	if !ok {
		return false
	}
	header := span{0, 8}
	spans := []span{{uint64(off), uint64(off) + ifdSize(m)}}
	for j := range m {
		e := tiff[int(off)+2+12*j:]
		typ, count := bo.Uint16(e[2:]), bo.Uint32(e[4:])
		if int(typ) >= len(tiffTypeSize) || tiffTypeSize[typ] == 0 {
			return false
		}
		size := tiffTypeSize[typ] * uint64(count)
		if size <= 4 {
			continue // the value is in the entry itself
		}
		start := uint64(bo.Uint32(e[8:]))
		spans = append(spans, span{start, start + size})
	}
	for _, sp := range spans {
		if sp.end > uint64(len(tiff)) || sp.overlaps(header) || sp.overlaps(ifd0) {
			return false
		}
	}
	for _, sp := range spans {
		clear(tiff[sp.start:sp.end])
	}
	return true
}
