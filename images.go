// images.go owns what the server does to the pixels and metadata of shared
// photos: reading a JPEG's EXIF orientation, thumbnails (JPEG, PNG, GIF's
// first frame, WebP) turned upright, square avatars for profile pictures,
// and removing the location from a JPEG's metadata without touching its
// image data. Everything here is a pure function of the bytes it is given:
// it never touches the store or the network.
//
// Decoding an image costs memory in proportion to its pixels, not its file
// size, so every decode is preceded by image.DecodeConfig and refused past
// maxImagePixels: a small file claiming enormous dimensions (a
// decompression bomb) costs a header read and nothing more.

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // GIF's first frame, through image.Decode
	"image/jpeg"
	"image/png"
	"io"
	"slices"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // phones share WebP; the standard library cannot read it
)

const (
	// maxImagePixels and maxImageSide bound what is decoded: 50 megapixels
	// is a phone's largest ordinary photo, about 75 MB decoded as a JPEG
	// and 200 MB as an 8-bit RGBA PNG (twice that at 16 bits).
	maxImagePixels = 50_000_000
	maxImageSide   = 20_000

	// maxImageHeader bounds the bytes image.DecodeConfig may read before it
	// knows the dimensions. A JPEG's metadata comes before them, and a
	// portrait-mode photo's depth map (extended XMP) can take megabytes.
	maxImageHeader = 16 << 20

	// thumbQuality is the JPEG quality of thumbnails: at chat sizes 80 is
	// indistinguishable from the original and a third of the bytes of 95.
	thumbQuality = 80

	// avatarQuality is a little higher: a face is looked at closely.
	avatarQuality = 85

	// avatarSide is the side of a profile picture, square: large enough
	// for a profile card at 2× density.
	avatarSide = 256
)

// thumbSides are the thumbnails made of a shared image: the long side for
// the chat at 1× and at 2× density.
var thumbSides = []int{320, 640}

// decodeSlots bounds how many images are decoded and scaled at once,
// server-wide: each may take a few hundred MB (maxImagePixels), and photos
// dropped together, by several people at once, must not add that up. The
// others wait their turn, which takes a second or so each.
var decodeSlots = make(chan struct{}, 2)

// errImageTooLarge is returned for an image whose dimensions are over
// maxImagePixels or maxImageSide; it is never decoded.
var errImageTooLarge = errors.New("image too large")

// errImageHeaderTooLarge is returned when an image's dimensions do not
// come within maxImageHeader bytes.
var errImageHeaderTooLarge = errors.New("image header too large")

// thumbnail is one encoded size of an image, upright.
type thumbnail struct {
	Side   int    // the size asked for: the long side is at most this
	Width  int    // of the upright thumbnail
	Height int    // of the upright thumbnail
	Type   string // "image/jpeg", or "image/png" when the image has transparency
	Data   []byte
}

// makeThumbnails decodes the image read from src once and returns a
// thumbnail for each of sides, smallest first: the long side scaled down to
// the side, never up, and turned upright by the EXIF orientation. A side
// that would give the same thumbnail as a smaller one (the image is no
// larger than the smaller side) is left out, so a small image has a single
// thumbnail at its own size. Opaque images become JPEG, images with
// transparency PNG; re-encoding leaves every piece of metadata behind.
//
// It reads src to the end only when the image is decodable and within
// maxImagePixels; it returns an error wrapping errImageTooLarge for a larger
// one and image.ErrFormat for bytes that are no JPEG, PNG, GIF or WebP. The
// caller then simply has no thumbnail. Safe to call from any goroutine; at
// most len(decodeSlots) calls (with avatarImage's) decode at once, the
// others wait.
func makeThumbnails(src io.Reader, sides []int) ([]thumbnail, error) {
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()
	img, orientation, err := decodeImage(src)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy() // upright
	if orientation >= 5 {
		w, h = h, w
	}
	// Which sides to make: ascending, and none past the first that holds
	// the whole image.
	var plan []int
	for _, side := range slices.Compact(slices.Sorted(slices.Values(sides))) {
		if side <= 0 {
			continue
		}
		plan = append(plan, side)
		if max(w, h) <= side {
			break
		}
	}
	typ := "image/png"
	if isOpaque(img) {
		typ = "image/jpeg"
	}
	// The largest is scaled from the decoded image (in its stored
	// orientation, since turning a thumbnail costs nothing and turning the
	// original costs its size again), then each smaller one from the one
	// before: far cheaper than scaling the original each time, and as good.
	thumbs := make([]thumbnail, len(plan))
	var prev *image.RGBA
	for i := len(plan) - 1; i >= 0; i-- {
		tw, th := fitSide(w, h, plan[i])
		var m *image.RGBA
		if prev == nil {
			sw, sh := tw, th
			if orientation >= 5 {
				sw, sh = th, tw
			}
			m = orient(scaleImage(img, sw, sh), orientation)
		} else {
			m = scaleImage(prev, tw, th)
		}
		data, err := encodeImage(m, typ, thumbQuality)
		if err != nil {
			return nil, fmt.Errorf("images: thumbnail of %d: %w", plan[i], err)
		}
		thumbs[i] = thumbnail{Side: plan[i], Width: tw, Height: th, Type: typ, Data: data}
		prev = m
	}
	return thumbs, nil
}

// avatarImage returns the profile picture made of the image read from src:
// its centre square, upright, scaled to side×side (up as well as down, so
// every avatar has one size), as a JPEG. Transparent parts become white.
// Re-encoding strips every piece of metadata, location included. Errors
// are those of makeThumbnails.
func avatarImage(src io.Reader, side int) ([]byte, error) {
	if side <= 0 {
		return nil, fmt.Errorf("images: avatar side %d", side)
	}
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()
	img, orientation, err := decodeImage(src)
	if err != nil {
		return nil, err
	}
	// The centre square of the stored image is the centre square of the
	// upright one, so the crop comes first and only the small result is
	// turned.
	b := img.Bounds()
	s := min(b.Dx(), b.Dy())
	crop := image.Rect(0, 0, s, s).Add(b.Min).Add(image.Pt((b.Dx()-s)/2, (b.Dy()-s)/2))
	m := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.Draw(m, m.Rect, image.White, image.Point{}, draw.Src)
	draw.CatmullRom.Scale(m, m.Rect, img, crop, draw.Over, nil)
	data, err := encodeImage(orient(m, orientation), "image/jpeg", avatarQuality)
	if err != nil {
		return nil, fmt.Errorf("images: avatar: %w", err)
	}
	return data, nil
}

// decodeImage decodes the image read from src after checking its
// dimensions, and returns it with its EXIF orientation (1 unless a JPEG
// says otherwise). It reads src once, keeping what DecodeConfig read so
// that no seeking back is needed.
func decodeImage(src io.Reader) (image.Image, int, error) {
	head := &headerBuffer{max: maxImageHeader}
	cfg, format, err := image.DecodeConfig(io.TeeReader(src, head))
	if err != nil {
		return nil, 0, fmt.Errorf("images: read header: %w", err)
	}
	if err := checkImageSize(cfg.Width, cfg.Height); err != nil {
		return nil, 0, err
	}
	orientation := 1
	if format == "jpeg" {
		// A JPEG's Exif comes before its dimensions, so it is in head.
		// Reading from memory cannot fail.
		orientation, _ = readOrientation(bytes.NewReader(head.buf.Bytes()))
	}
	img, _, err := image.Decode(io.MultiReader(bytes.NewReader(head.buf.Bytes()), src))
	if err != nil {
		return nil, 0, fmt.Errorf("images: decode %s: %w", format, err)
	}
	return img, orientation, nil
}

// checkImageSize refuses dimensions over maxImageSide or maxImagePixels.
// The product is taken in 64 bits: on a 32-bit ARM board, int is 32.
func checkImageSize(w, h int) error {
	if w <= 0 || h <= 0 || w > maxImageSide || h > maxImageSide || int64(w)*int64(h) > maxImagePixels {
		return fmt.Errorf("images: %d×%d pixels: %w", w, h, errImageTooLarge)
	}
	return nil
}

// headerBuffer keeps the bytes image.DecodeConfig read, up to max, for the
// decode that follows.
type headerBuffer struct {
	buf bytes.Buffer
	max int
}

func (hb *headerBuffer) Write(p []byte) (int, error) {
	if hb.buf.Len()+len(p) > hb.max {
		return 0, errImageHeaderTooLarge
	}
	return hb.buf.Write(p)
}

// isOpaque reports whether every pixel of img is opaque. Every decoder's
// image type can tell; an unknown type is taken to have transparency,
// since PNG keeps it and JPEG would turn it black.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fitSide returns w×h scaled so that the long side is at most side, never
// scaled up, and no side below 1 pixel.
func fitSide(w, h, side int) (int, int) {
	if max(w, h) <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// scaleImage returns src scaled to w×h as RGBA, the fast path of
// x/image/draw's scalers for the decoders' YCbCr and RGBA images.
// CatmullRom is sharp and, unlike bilinear, does not alias when scaling
// down by large factors.
func scaleImage(src image.Image, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	if src.Bounds().Dx() == w && src.Bounds().Dy() == h {
		draw.Draw(m, m.Rect, src, src.Bounds().Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(m, m.Rect, src, src.Bounds(), draw.Src, nil)
	}
	return m
}

// orient returns m turned upright according to an EXIF orientation, whose
// values say where the stored rows and columns belong (EXIF 2.3, tag
// 0x0112): 1 as stored, 2 mirrored, 3 turned half round, 4 upside down,
// 5 transposed, 6 to be turned clockwise, 7 transversed, 8 to be turned
// anticlockwise. For 5–8 width and height swap. m must start at (0, 0).
func orient(m *image.RGBA, orientation int) *image.RGBA {
	if orientation < 2 || orientation > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if orientation >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := range dh {
		for dx := range dw {
			// (sx, sy) is the stored pixel shown at (dx, dy).
			var sx, sy int
			switch orientation {
			case 2:
				sx, sy = w-1-dx, dy
			case 3:
				sx, sy = w-1-dx, h-1-dy
			case 4:
				sx, sy = dx, h-1-dy
			case 5:
				sx, sy = dy, dx
			case 6:
				sx, sy = dy, h-1-dx
			case 7:
				sx, sy = w-1-dy, h-1-dx
			case 8:
				sx, sy = w-1-dy, dx
			}
			copy(out.Pix[out.PixOffset(dx, dy):][:4], m.Pix[m.PixOffset(sx, sy):][:4])
		}
	}
	return out
}

// encodeImage encodes m as typ, image/jpeg at quality or image/png.
func encodeImage(m image.Image, typ string, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if typ == "image/png" {
		err = png.Encode(&buf, m)
	} else {
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality})
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return buf.Bytes(), nil
}

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
