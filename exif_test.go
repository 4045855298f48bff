// exif_test.go tests exif.go on JPEGs whose Exif segment the tests write
// byte by byte (both byte orders, every orientation, a GPS IFD, camera
// tags, an Exif SubIFD and an IFD1), so they can prove that only the
// location goes; the fixtures serve images_test.go and photos_test.go too.

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"
)

// tiffField is one entry of a TIFF IFD as the fixtures write it.
type tiffField struct {
	tag, typ uint16
	count    uint32
	value    []byte // in the structure's byte order
}

func tASCII(tag uint16, s string) tiffField {
	return tiffField{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func tShort(bo binary.ByteOrder, tag uint16, v uint16) tiffField {
	b := make([]byte, 2)
	bo.PutUint16(b, v)
	return tiffField{tag, 3, 1, b}
}

// tRationals takes numerator, denominator pairs.
func tRationals(bo binary.ByteOrder, tag uint16, nd ...uint32) tiffField {
	b := make([]byte, 4*len(nd))
	for i, v := range nd {
		bo.PutUint32(b[4*i:], v)
	}
	return tiffField{tag, 5, uint32(len(nd) / 2), b}
}

// buildTIFF lays out a TIFF structure: the header, IFD0 (given the
// pointers to the Exif and GPS IFDs when those are not nil, and IFD1 as
// its next IFD), then each IFD with its values after it.
func buildTIFF(bo binary.ByteOrder, ifd0, exif, gps, ifd1 []tiffField) []byte {
	ifd0 = slices.Clone(ifd0)
	if exif != nil {
		ifd0 = append(ifd0, tiffField{0x8769, 4, 1, make([]byte, 4)})
	}
	if gps != nil {
		ifd0 = append(ifd0, tiffField{0x8825, 4, 1, make([]byte, 4)})
	}
	slices.SortFunc(ifd0, func(a, b tiffField) int { return int(a.tag) - int(b.tag) })
	blocks := [][]tiffField{ifd0, exif, gps, ifd1}
	size := func(fs []tiffField) int {
		n := 2 + 12*len(fs) + 4
		for _, f := range fs {
			if len(f.value) > 4 {
				n += len(f.value) + len(f.value)%2
			}
		}
		return n
	}
	offs := make([]int, len(blocks))
	end := 8
	for i, b := range blocks {
		if i > 0 && b == nil {
			continue
		}
		offs[i] = end
		end += size(b)
	}
	for _, f := range ifd0 {
		switch f.tag {
		case 0x8769:
			bo.PutUint32(f.value, uint32(offs[1]))
		case 0x8825:
			bo.PutUint32(f.value, uint32(offs[2]))
		}
	}
	out := make([]byte, end)
	if bo == binary.ByteOrder(binary.LittleEndian) {
		copy(out, "II*\x00")
	} else {
		copy(out, "MM\x00*")
	}
	bo.PutUint32(out[4:], 8)
	for i, fs := range blocks {
		if i > 0 && fs == nil {
			continue
		}
		at := offs[i]
		bo.PutUint16(out[at:], uint16(len(fs)))
		data := at + 2 + 12*len(fs) + 4
		for j, f := range fs {
			e := out[at+2+12*j:]
			bo.PutUint16(e, f.tag)
			bo.PutUint16(e[2:], f.typ)
			bo.PutUint32(e[4:], f.count)
			if len(f.value) <= 4 {
				copy(e[8:12], f.value)
			} else {
				bo.PutUint32(e[8:], uint32(data))
				copy(out[data:], f.value)
				data += len(f.value) + len(f.value)%2
			}
		}
		if i == 0 && ifd1 != nil {
			bo.PutUint32(out[at+2+12*len(fs):], uint32(offs[3]))
		}
	}
	return out
}

// The location in the fixtures: distinctive byte strings that must not
// survive stripping anywhere in the file.
func gpsLatitude(bo binary.ByteOrder) tiffField {
	return tRationals(bo, 0x0002, 51, 1, 30, 1, 2622, 100)
}

func gpsLongitude(bo binary.ByteOrder) tiffField {
	return tRationals(bo, 0x0004, 0, 1, 7, 1, 3987, 100)
}

const gpsDateStamp = "2024:05:01" // as an ASCII value with its NUL; DateTimeOriginal has a time after it

// exifPayload returns the payload of an Exif APP1 segment: camera make and
// model, the orientation (none when 0), the Exif SubIFD with
// DateTimeOriginal, an IFD1, and, if withGPS, a GPS IFD with a position,
// altitude and date.
func exifPayload(bo binary.ByteOrder, orientation int, withGPS bool) []byte {
	ifd0 := []tiffField{
		tASCII(0x010F, "Hearth Optics"),
		tASCII(0x0110, "Kitchen Cam 2"),
		tRationals(bo, 0x011A, 72, 1),
	}
	if orientation != 0 {
		ifd0 = append(ifd0, tShort(bo, 0x0112, uint16(orientation)))
	}
	exif := []tiffField{tASCII(0x9003, "2024:05:01 12:34:56")}
	var gps []tiffField
	if withGPS {
		gps = []tiffField{
			{0x0000, 1, 4, []byte{2, 3, 0, 0}}, // GPSVersionID
			tASCII(0x0001, "N"),
			gpsLatitude(bo),
			tASCII(0x0003, "W"),
			gpsLongitude(bo),
			{0x0005, 1, 1, []byte{0}}, // GPSAltitudeRef
			tRationals(bo, 0x0006, 1234, 100),
			tASCII(0x001D, gpsDateStamp),
		}
	}
	ifd1 := []tiffField{tShort(bo, 0x0103, 6), tRationals(bo, 0x011A, 72, 1)}
	return append([]byte("Exif\x00\x00"), buildTIFF(bo, ifd0, exif, gps, ifd1)...)
}

// segment returns a JPEG marker segment: 0xFF, the marker, the length and
// the payload.
func segment(marker byte, payload []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// jpegWith encodes m as a JPEG and puts segs (whole segments, or any bytes)
// right after its SOI, where cameras put Exif.
func jpegWith(t testing.TB, m image.Image, segs ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	out := []byte{0xFF, 0xD8}
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, buf.Bytes()[2:]...)
}

// testSegment is a segment of a well-formed JPEG header, as the tests see it.
type testSegment struct {
	marker     byte
	start, end int // of the whole segment in the file
	payload    []byte
}

// headerOf returns the segments of a well-formed JPEG up to and including
// SOS, whose start is then that of the image data's header.
func headerOf(t testing.TB, data []byte) []testSegment {
	t.Helper()
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", data[:min(len(data), 8)])
	}
	var segs []testSegment
	for i := 2; ; {
		if i+4 > len(data) || data[i] != 0xFF {
			t.Fatalf("no segment at %d", i)
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		s := testSegment{data[i+1], i, i + 2 + n, data[i+4 : i+2+n]}
		segs = append(segs, s)
		if s.marker == 0xDA {
			return segs
		}
		i = s.end
	}
}

// sosOffset is where the image data's header starts.
func sosOffset(t testing.TB, data []byte) int {
	t.Helper()
	segs := headerOf(t, data)
	return segs[len(segs)-1].start
}

// exifTags is what the tests read back from an Exif segment: each IFD's
// fields (tag → value bytes), nil for an IFD that is not there.
type exifTags struct {
	ifd0, exif, gps, ifd1 map[uint16][]byte
	gpsOffset             int // of the GPS IFD in the TIFF structure
	tiff                  []byte
}

var testTypeSize = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}

// readExif parses the Exif segment of a JPEG, failing the test on any
// structure it cannot follow; ok is false when there is no Exif segment.
func readExif(t testing.TB, data []byte) (tags exifTags, ok bool) {
	t.Helper()
	for _, s := range headerOf(t, data) {
		if s.marker != 0xE1 || !bytes.HasPrefix(s.payload, []byte("Exif\x00\x00")) {
			continue
		}
		tiff := s.payload[6:]
		var bo binary.ByteOrder = binary.BigEndian
		if string(tiff[:2]) == "II" {
			bo = binary.LittleEndian
		}
		ifd := func(off uint32) (map[uint16][]byte, uint32) {
			if int(off)+2 > len(tiff) {
				t.Fatalf("IFD at %d outside %d bytes", off, len(tiff))
			}
			n := int(bo.Uint16(tiff[off:]))
			fields := map[uint16][]byte{}
			for j := range n {
				e := tiff[int(off)+2+12*j:]
				size := testTypeSize[bo.Uint16(e[2:])] * int(bo.Uint32(e[4:]))
				v := e[8 : 8+min(size, 4)] // inline when at most 4 bytes
				if size > 4 {
					at := bo.Uint32(e[8:])
					v = tiff[at : int(at)+size]
				}
				fields[bo.Uint16(e)] = v
			}
			return fields, bo.Uint32(tiff[int(off)+2+12*n:])
		}
		var next uint32
		tags.tiff = tiff
		tags.ifd0, next = ifd(bo.Uint32(tiff[4:]))
		if p, ok := tags.ifd0[0x8769]; ok {
			tags.exif, _ = ifd(bo.Uint32(p))
		}
		if p, ok := tags.ifd0[0x8825]; ok {
			tags.gpsOffset = int(bo.Uint32(p))
			tags.gps, _ = ifd(bo.Uint32(p))
		}
		if next != 0 {
			tags.ifd1, _ = ifd(next)
		}
		return tags, true
	}
	return tags, false
}

// strip runs stripJPEGLocation over in, failing the test on a read error.
func strip(t testing.TB, in []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(stripJPEGLocation(bytes.NewReader(in)))
	if err != nil {
		t.Fatalf("strip: %v", err)
	}
	return out
}

func TestStripJPEGLocation(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, o := range []int{1, 6, 8} {
			t.Run(bo.String()+"/"+string(rune('0'+o)), func(t *testing.T) {
				in := jpegWith(t, quadrants(64, 48), segment(0xE1, exifPayload(bo, o, true)))
				before, _ := readExif(t, in)
				if before.gps == nil {
					t.Fatal("the fixture has no GPS IFD")
				}
				secrets := [][]byte{gpsLatitude(bo).value, gpsLongitude(bo).value, append([]byte(gpsDateStamp), 0)}
				for _, s := range secrets {
					if !bytes.Contains(in, s) {
						t.Fatalf("the fixture lacks % x", s)
					}
				}

				out := strip(t, in)

				if len(out) != len(in) {
					t.Errorf("length = %d, want %d: only the Exif is rewritten, in place", len(out), len(in))
				}
				after, ok := readExif(t, out)
				if !ok {
					t.Fatal("the Exif segment is gone")
				}
				if after.gps != nil || after.ifd0[0x8825] != nil {
					t.Errorf("GPS is still there: pointer % x, IFD %v", after.ifd0[0x8825], after.gps)
				}
				for _, s := range secrets {
					if bytes.Contains(out, s) {
						t.Errorf("the location's bytes % x survive", s)
					}
				}
				for _, tag := range []uint16{0x010F, 0x0110, 0x011A, 0x0112} {
					if !bytes.Equal(after.ifd0[tag], before.ifd0[tag]) {
						t.Errorf("IFD0 tag %#x = %q, want %q", tag, after.ifd0[tag], before.ifd0[tag])
					}
				}
				if len(after.ifd0) != len(before.ifd0)-1 {
					t.Errorf("IFD0 has %d fields, want %d", len(after.ifd0), len(before.ifd0)-1)
				}
				if got, want := after.exif[0x9003], before.exif[0x9003]; !bytes.Equal(got, want) || len(got) == 0 {
					t.Errorf("DateTimeOriginal = %q, want %q", got, want)
				}
				if len(after.ifd1) != 2 || !bytes.Equal(after.ifd1[0x0103], before.ifd1[0x0103]) {
					t.Errorf("IFD1 = %v, want %v: the next-IFD offset must survive the move", after.ifd1, before.ifd1)
				}
				if got, _ := readOrientation(bytes.NewReader(out)); got != o {
					t.Errorf("orientation = %d, want %d", got, o)
				}
				sos := sosOffset(t, in)
				if got := sosOffset(t, out); got != sos || !bytes.Equal(out[sos:], in[sos:]) {
					t.Errorf("the image data changed (SOS at %d, was %d)", got, sos)
				}
				samePixels(t, out, in)
			})
		}
	}
}

// samePixels fails unless both JPEGs decode to the same pixels.
func samePixels(t testing.TB, got, want []byte) {
	t.Helper()
	g, err := jpeg.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("decode the output: %v", err)
	}
	w, err := jpeg.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("decode the input: %v", err)
	}
	gy, wy := g.(*image.YCbCr), w.(*image.YCbCr)
	if g.Bounds() != w.Bounds() || !bytes.Equal(gy.Y, wy.Y) || !bytes.Equal(gy.Cb, wy.Cb) || !bytes.Equal(gy.Cr, wy.Cr) {
		t.Error("the output decodes to other pixels")
	}
}

// TestStripJPEGLocationCases covers what passes through unchanged, what is
// dropped whole, and input that is cut short or odd.
func TestStripJPEGLocationCases(t *testing.T) {
	bo := binary.BigEndian
	img := quadrants(32, 32)
	withGPS := segment(0xE1, exifPayload(bo, 6, true))
	noGPS := segment(0xE1, exifPayload(bo, 6, false))
	xmp := func(body string) []byte {
		return segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'>"+body+"</x:xmpmeta>"))
	}
	xmpGPS := xmp(`<rdf:Description exif:GPSLatitude="51,30.437N" exif:GPSLongitude="0,7.665W"/>`)
	xmpPlain := xmp(`<rdf:Description xmp:CreatorTool="Camera"/>`)
	app0 := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))

	// mutate returns withGPS with its TIFF structure changed by f.
	mutate := func(f func(tiff []byte, tags exifTags)) []byte {
		seg := slices.Clone(withGPS)
		tags, _ := readExif(t, jpegWith(t, img, seg))
		f(seg[4+6:], tags)
		return seg
	}
	badIFD0 := mutate(func(tiff []byte, _ exifTags) { bo.PutUint32(tiff[4:], 60000) })
	badOrder := mutate(func(tiff []byte, _ exifTags) { copy(tiff, "XX") })
	badGPSPointer := mutate(func(tiff []byte, _ exifTags) {
		// IFD0 is sorted by tag: GPSInfo is its last field.
		n := int(bo.Uint16(tiff[8:]))
		bo.PutUint32(tiff[8+2+12*(n-1)+8:], 0xFFFFFF00)
	})
	gpsOverIFD0 := mutate(func(tiff []byte, tags exifTags) {
		// GPSLatitude (the third GPS field) pointing at IFD0 itself.
		bo.PutUint32(tiff[tags.gpsOffset+2+12*2+8:], 8)
	})
	gpsUnknownType := mutate(func(tiff []byte, tags exifTags) {
		bo.PutUint16(tiff[tags.gpsOffset+2+12*2+2:], 99)
	})
	strippedGPS := strip(t, jpegWith(t, img, withGPS))[2 : 2+len(withGPS)]

	plain := jpegWith(t, img)
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		t.Fatal(err)
	}
	cutInExif := jpegWith(t, img, withGPS)[:2+len(withGPS)/2]
	cutInData := jpegWith(t, img, noGPS)
	cutInData = cutInData[:len(cutInData)-100]

	tests := []struct {
		name    string
		in      []byte
		want    []byte
		stripMe bool // want is in with the GPS of withGPS stripped
	}{
		{"no metadata", plain, plain, false},
		{"Exif without GPS", jpegWith(t, img, app0, noGPS), jpegWith(t, img, app0, noGPS), false},
		{"XMP without GPS", jpegWith(t, img, noGPS, xmpPlain), jpegWith(t, img, noGPS, xmpPlain), false},
		{"XMP with GPS is dropped", jpegWith(t, img, noGPS, xmpGPS), jpegWith(t, img, noGPS), false},
		{"Exif and XMP with GPS", jpegWith(t, img, app0, withGPS, xmpGPS), jpegWith(t, img, app0, strippedGPS), false},
		{"IFD0 outside the segment: dropped", jpegWith(t, img, app0, badIFD0), jpegWith(t, img, app0), false},
		{"unknown byte order: dropped", jpegWith(t, img, badOrder), plain, false},
		{"GPS pointer outside: dropped", jpegWith(t, img, badGPSPointer), plain, false},
		{"GPS value over IFD0: dropped", jpegWith(t, img, gpsOverIFD0), plain, false},
		{"GPS field of unknown type: dropped", jpegWith(t, img, gpsUnknownType), plain, false},
		{"stray bytes before the Exif", jpegWith(t, img, []byte("junk"), withGPS), jpegWith(t, img, []byte("junk"), strippedGPS), false},
		{"fill bytes before the Exif", jpegWith(t, img, []byte{0xFF, 0xFF}, withGPS), jpegWith(t, img, []byte{0xFF, 0xFF}, strippedGPS), false},
		{"cut short in the Exif: it goes", cutInExif, []byte{0xFF, 0xD8}, false},
		{"cut short in the image data", cutInData, cutInData, false},
		{"PNG", pngData.Bytes(), pngData.Bytes(), false},
		{"empty", nil, nil, false},
		{"one byte", []byte{0xFF}, []byte{0xFF}, false},
		{"SOI alone", []byte{0xFF, 0xD8}, []byte{0xFF, 0xD8}, false},
		{"bad segment length", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 'x'}, []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 'x'}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strip(t, tc.in); !bytes.Equal(got, tc.want) {
				t.Errorf("got %d bytes, want %d\n got % x\nwant % x", len(got), len(tc.want), firstBytes(got), firstBytes(tc.want))
			}
		})
	}
}

func firstBytes(b []byte) []byte { return b[:min(len(b), 48)] }

// TestStripJPEGLocationReads checks the reader under every read pattern
// iotest knows, over a source that returns one byte at a time or its data
// with io.EOF, and that a read error comes through.
func TestStripJPEGLocationReads(t *testing.T) {
	in := jpegWith(t, quadrants(40, 30), segment(0xE1, exifPayload(binary.LittleEndian, 3, true)))
	want := strip(t, in)
	if bytes.Equal(want, in) {
		t.Fatal("nothing was stripped")
	}
	if err := iotest.TestReader(stripJPEGLocation(bytes.NewReader(in)), want); err != nil {
		t.Error(err)
	}
	for name, r := range map[string]io.Reader{
		"one byte":   iotest.OneByteReader(bytes.NewReader(in)),
		"data + EOF": iotest.DataErrReader(bytes.NewReader(in)),
		"half":       iotest.HalfReader(bytes.NewReader(in)),
	} {
		got, err := io.ReadAll(stripJPEGLocation(r))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, err %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	// A read error comes through wherever it happens, io.ErrUnexpectedEOF
	// too: it is what net/http reports for a body cut short, which must
	// not be stored as a shorter file.
	for _, boom := range []error{errors.New("boom"), io.ErrUnexpectedEOF} {
		for _, cut := range []int{1, 3, 5, 100, len(in) - 10} {
			_, err := io.ReadAll(stripJPEGLocation(io.MultiReader(bytes.NewReader(in[:cut]), iotest.ErrReader(boom))))
			if !errors.Is(err, boom) {
				t.Errorf("error after %d bytes = %v, want %v", cut, err, boom)
			}
		}
	}
}

// TestStripJPEGLocationStreams passes 64 MiB of image data through and
// checks that memory stays at a segment's worth, not the file's.
func TestStripJPEGLocationStreams(t *testing.T) {
	const size = 64 << 20
	hdr := []byte{0xFF, 0xD8}
	hdr = append(hdr, segment(0xE1, exifPayload(binary.BigEndian, 1, true))...)
	hdr = append(hdr, segment(0xDA, []byte{1, 1, 0, 0, 63, 0})...)
	src := io.MultiReader(bytes.NewReader(hdr), io.LimitReader(zeroReader{}, size))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, stripJPEGLocation(src))
	runtime.ReadMemStats(&after)
	if err != nil || n != int64(len(hdr))+size {
		t.Fatalf("copied %d bytes, err %v; want %d", n, err, len(hdr)+size)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 2<<20 {
		t.Errorf("allocated %d bytes to pass %d through", got, size)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadOrientation(t *testing.T) {
	img := quadrants(16, 16)
	// An orientation written as a LONG, which the spec does not allow.
	longOrientation := append([]byte("Exif\x00\x00"),
		buildTIFF(binary.LittleEndian, []tiffField{{0x0112, 4, 1, []byte{6, 0, 0, 0}}}, nil, nil, nil)...)
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{"no Exif", jpegWith(t, img), 1},
		{"no tag", jpegWith(t, img, segment(0xE1, exifPayload(binary.BigEndian, 0, true))), 1},
		{"9 is no orientation", jpegWith(t, img, segment(0xE1, exifPayload(binary.BigEndian, 9, true))), 1},
		{"a LONG", jpegWith(t, img, segment(0xE1, longOrientation)), 1},
		{"after XMP", jpegWith(t, img, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>")), segment(0xE1, exifPayload(binary.BigEndian, 5, false))), 5},
		{"PNG", []byte("\x89PNG\r\n\x1a\n"), 1},
		{"empty", nil, 1},
		{"cut short", jpegWith(t, img, segment(0xE1, exifPayload(binary.BigEndian, 6, true)))[:30], 1},
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			tests = append(tests, struct {
				name string
				in   []byte
				want int
			}{bo.String() + " " + string(rune('0'+o)), jpegWith(t, img, segment(0xE1, exifPayload(bo, o, true))), o})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readOrientation(bytes.NewReader(tc.in))
			if err != nil || got != tc.want {
				t.Errorf("readOrientation = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	boom := errors.New("boom")
	if _, err := readOrientation(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("a failing reader: err = %v, want boom", err)
	}
}

// FuzzStripJPEGLocation feeds stripJPEGLocation broken and odd JPEGs. It
// must never panic or fail to read; input that is no JPEG passes through
// untouched; nothing grows; no Exif segment of the output still points to
// a GPS IFD; and stripping again changes nothing.
func FuzzStripJPEGLocation(f *testing.F) {
	img := quadrants(8, 8)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		full := jpegWith(f, img, segment(0xE1, exifPayload(bo, 6, true)))
		f.Add(full)
		f.Add(full[:len(full)/3])
		f.Add(append([]byte{0xFF, 0xD8}, segment(0xE1, exifPayload(bo, 3, true))...))
	}
	f.Add(jpegWith(f, img, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00exif:GPSLatitude"))))
	f.Add(jpegWith(f, img, []byte{0xFF, 0xFF, 'j', 0xFF, 0x00}))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x0E, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, '*', 0, 0, 0, 8})
	f.Add(pngHeader(10, 10))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(stripJPEGLocation(bytes.NewReader(in)))
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.HasPrefix(in, []byte{0xFF, 0xD8}) && !bytes.Equal(out, in) {
			t.Fatal("input that is no JPEG changed")
		}
		if len(out) > len(in) {
			t.Fatalf("grew from %d to %d bytes", len(in), len(out))
		}
		if again := strip(t, out); !bytes.Equal(again, out) {
			t.Fatal("stripping twice changed more")
		}
		readOrientation(bytes.NewReader(in))
		// Walk the output's header as stripJPEGLocation does.
		br := bufio.NewReader(bytes.NewReader(out))
		if soi, err := br.Peek(2); err != nil || soi[0] != 0xFF || soi[1] != 0xD8 {
			return
		}
		br.Discard(2)
		buf := make([]byte, maxSegment)
		for {
			seg, err := readJPEGSegment(br, buf)
			if err != nil || seg.marker == markerSOS || seg.marker == markerEOI {
				return
			}
			tiff := exifTIFF(seg.payload)
			if seg.marker != markerAPP1 || tiff == nil {
				continue
			}
			bo, ifd, n, ok := tiffIFD0(tiff)
			if !ok {
				t.Fatal("an Exif segment that cannot be read was kept")
			}
			for i := range n {
				if bo.Uint16(tiff[ifd+2+12*i:]) == tagGPSInfo {
					t.Fatal("a GPS pointer was kept")
				}
			}
		}
	})
}
