// images_test.go tests images.go on fixtures the tests build themselves:
// pictures whose quadrants show which way up they are, stored as a camera
// would for each orientation, in JPEGs with an Exif segment (exif_test.go
// writes those), PNGs and GIFs from the standard encoders, and three tiny
// WebPs embedded below, since no Go encoder writes WebP.

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/image/draw"
)

// The WebP fixtures, made with cwebp 1.2.4 (Debian's webp package) from
// PNGs drawn by a few lines of Go:
//
//	cwebp -q 90 opaque.png               32×16, left half red, right half blue
//	cwebp -lossless alpha.png            16×16, left half transparent, right half green
//	cwebp -q 90 -alpha_q 100 alpha.png   the same as lossy VP8 with an ALPH chunk
var (
	webpLossy         = mustBase64("UklGRlIAAABXRUJQVlA4IEYAAACQAwCdASogABAAAMASJaACdMoRwN4B+AH7Af0DkAuwH7AAUw8AAP76IZf/dzNH+xrf/1oYdQVO4f+H3cwpI0ZCsXrEZ9AA")
	webpLosslessAlpha = mustBase64("UklGRiQAAABXRUJQVlA4TBcAAAAvD8ADEA8w/xHzHwyxYDJ/6e4MIvofugA=")
	webpLossyAlpha    = mustBase64("UklGRmQAAABXRUJQVlA4WAoAAAAQAAAADwAADwAAQUxQSBIAAAABDzD/ERFCLJjMX7o7g4j+hy5WUDggLAAAADABAJ0BKhAAEAAAwBIloAADcAD++m7//+3/F///cvf//cvf//+UH//+ThAA")
)

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Colours of the fixtures' quadrants, far apart so that JPEG's losses
// cannot move one to another.
var (
	red    = color.RGBA{255, 0, 0, 255}
	green  = color.RGBA{0, 255, 0, 255}
	blue   = color.RGBA{0, 0, 255, 255}
	yellow = color.RGBA{255, 255, 0, 255}
	white  = color.RGBA{255, 255, 255, 255}
)

// quadrants returns an upright w×h image: red top left, green top right,
// blue bottom left, yellow bottom right. Every flip and turn of it looks
// different.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [2][2]color.RGBA{{red, green}, {blue, yellow}}[2*y/h][2*x/w]
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// rotCW and flipH are the two moves every orientation is made of, written
// on their own so that the tests do not share images.go's table.
func rotCW(m *image.RGBA) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			out.SetRGBA(h-1-y, x, m.RGBAAt(x, y))
		}
	}
	return out
}

func flipH(m *image.RGBA) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			out.SetRGBA(w-1-x, y, m.RGBAAt(x, y))
		}
	}
	return out
}

// storedAs returns how a camera stores the upright image u when it tags it
// with orientation o: the move that the viewer's turn undoes. For 6 the
// viewer turns clockwise, so the camera stored it turned anticlockwise.
func storedAs(u *image.RGBA, o int) *image.RGBA {
	switch o {
	case 2: // mirrored
		return flipH(u)
	case 3: // half round
		return rotCW(rotCW(u))
	case 4: // upside down: mirrored and half round
		return flipH(rotCW(rotCW(u)))
	case 5: // transposed: row 0 is the left column
		return flipH(rotCW(u))
	case 6:
		return rotCW(rotCW(rotCW(u)))
	case 7: // transversed: row 0 is the right column, read bottom up
		return flipH(rotCW(rotCW(rotCW(u))))
	case 8:
		return rotCW(u)
	}
	return u
}

// nearest returns which of the fixtures' colours c is closest to.
func nearest(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	best, bestD := color.RGBA{}, -1
	for _, p := range []color.RGBA{red, green, blue, yellow, white} {
		d := square(int(r>>8)-int(p.R)) + square(int(g>>8)-int(p.G)) + square(int(b>>8)-int(p.B))
		if bestD < 0 || d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

func square(x int) int { return x * x }

func decodeThumb(t testing.TB, th thumbnail) image.Image {
	t.Helper()
	m, format, err := image.Decode(bytes.NewReader(th.Data))
	if err != nil {
		t.Fatalf("decode thumbnail: %v", err)
	}
	if "image/"+format != th.Type {
		t.Errorf("thumbnail is %s, says %s", format, th.Type)
	}
	if m.Bounds().Dx() != th.Width || m.Bounds().Dy() != th.Height {
		t.Errorf("thumbnail is %v, says %d×%d", m.Bounds().Size(), th.Width, th.Height)
	}
	return m
}

// TestThumbnailOrientation stores the same upright picture as a camera
// would for each orientation, in both byte orders, and checks that every
// thumbnail comes out upright: red top left, green top right, blue bottom
// left, yellow bottom right, 48×32.
func TestThumbnailOrientation(t *testing.T) {
	upright := quadrants(96, 64)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(bo.String()+"/"+string(rune('0'+o)), func(t *testing.T) {
				t.Parallel()
				in := jpegWith(t, storedAs(upright, o), segment(0xE1, exifPayload(bo, o, true)))
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				if swapped := cfg.Width == 64; swapped != (o >= 5) {
					t.Fatalf("stored %d×%d for orientation %d", cfg.Width, cfg.Height, o)
				}
				thumbs, err := makeThumbnails(bytes.NewReader(in), []int{48})
				if err != nil {
					t.Fatal(err)
				}
				if len(thumbs) != 1 {
					t.Fatalf("%d thumbnails, want 1", len(thumbs))
				}
				th := thumbs[0]
				if th.Side != 48 || th.Width != 48 || th.Height != 32 || th.Type != "image/jpeg" {
					t.Errorf("thumbnail %d: %d×%d %s, want 48: 48×32 image/jpeg", th.Side, th.Width, th.Height, th.Type)
				}
				m := decodeThumb(t, th)
				for _, q := range []struct {
					x, y int
					want color.RGBA
				}{{12, 8, red}, {36, 8, green}, {12, 24, blue}, {36, 24, yellow}} {
					if got := nearest(m.At(q.x, q.y)); got != q.want {
						t.Errorf("at (%d,%d): %v, want %v", q.x, q.y, got, q.want)
					}
				}
			})
		}
	}
}

// TestThumbnailSizes: the long side goes to each size asked for, never up;
// a size that a smaller one already holds whole is left out.
func TestThumbnailSizes(t *testing.T) {
	type size struct{ side, w, h int }
	tests := []struct {
		name  string
		w, h  int
		sides []int
		want  []size
	}{
		{"landscape", 800, 400, []int{320, 640}, []size{{320, 320, 160}, {640, 640, 320}}},
		{"portrait", 300, 700, []int{640, 320}, []size{{320, 137, 320}, {640, 274, 640}}},
		{"between the sizes", 500, 250, []int{320, 640}, []size{{320, 320, 160}, {640, 500, 250}}},
		{"smaller than both", 100, 50, []int{320, 640}, []size{{320, 100, 50}}},
		{"exactly the small size", 320, 10, []int{320, 640}, []size{{320, 320, 10}}},
		{"a line", 2000, 1, []int{320}, []size{{320, 320, 1}}},
		{"sizes repeated and nonsense", 700, 700, []int{0, 640, -5, 640}, []size{{640, 640, 640}}},
		{"no sizes", 100, 100, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			thumbs, err := makeThumbnails(bytes.NewReader(jpegWith(t, quadrants(tc.w, tc.h))), tc.sides)
			if err != nil {
				t.Fatal(err)
			}
			var got []size
			for _, th := range thumbs {
				got = append(got, size{th.Side, th.Width, th.Height})
				decodeThumb(t, th)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("thumbnails %v, want %v", got, tc.want)
			}
		})
	}
}

// TestThumbnailFormats: each format decodes, opaque images become JPEG and
// transparent ones PNG, GIF gives its first frame.
func TestThumbnailFormats(t *testing.T) {
	// halfClear is 40×20: the left half transparent, the right half green.
	halfClear := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := 20; x < 40; x++ {
			halfClear.Set(x, y, green)
		}
	}
	opaqueNRGBA := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			opaqueNRGBA.Set(x, y, blue)
		}
	}
	frame := func(c color.RGBA) *image.Paletted {
		p := image.NewPaletted(image.Rect(0, 0, 30, 30), color.Palette{red, blue, color.RGBA{}})
		for i := range p.Pix {
			p.Pix[i] = uint8(slices.Index(p.Palette, color.Color(c)))
		}
		return p
	}
	clearFrame := frame(red)
	for y := range 30 {
		for x := range 10 {
			clearFrame.SetColorIndex(x, y, 2) // transparent
		}
	}

	pngOf := func(m image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	gifOf := func(frames ...*image.Paletted) []byte {
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, &gif.GIF{Image: frames, Delay: make([]int, len(frames))}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}

	transparent := func(want bool) func(c color.Color) bool {
		return func(c color.Color) bool { _, _, _, a := c.RGBA(); return (a == 0) == want }
	}
	is := func(want color.RGBA) func(c color.Color) bool {
		return func(c color.Color) bool { _, _, _, a := c.RGBA(); return a == 0xFFFF && nearest(c) == want }
	}
	type probe struct {
		x, y int // in the thumbnail, as a fraction of 100 of its size
		ok   func(color.Color) bool
	}
	tests := []struct {
		name     string
		in       []byte
		wantType string
		probes   []probe
	}{
		{"PNG with transparency", pngOf(halfClear), "image/png", []probe{{10, 50, transparent(true)}, {90, 50, is(green)}}},
		{"opaque PNG", pngOf(opaqueNRGBA), "image/jpeg", []probe{{50, 50, is(blue)}}},
		{"GIF: the first frame", gifOf(frame(red), frame(blue)), "image/jpeg", []probe{{50, 50, is(red)}}},
		{"GIF with transparency", gifOf(clearFrame), "image/png", []probe{{10, 50, transparent(true)}, {80, 50, is(red)}}},
		{"WebP lossy", webpLossy, "image/jpeg", []probe{{20, 50, is(red)}, {80, 50, is(blue)}}},
		{"WebP lossless with alpha", webpLosslessAlpha, "image/png", []probe{{20, 50, transparent(true)}, {80, 50, is(green)}}},
		{"WebP lossy with alpha", webpLossyAlpha, "image/png", []probe{{20, 50, transparent(true)}, {80, 50, is(green)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := image.DecodeConfig(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatalf("fixture: %v", err)
			}
			// A side smaller than the image, so that it is scaled.
			side := max(cfg.Width, cfg.Height) / 2
			thumbs, err := makeThumbnails(bytes.NewReader(tc.in), []int{side})
			if err != nil {
				t.Fatal(err)
			}
			if len(thumbs) != 1 || thumbs[0].Type != tc.wantType {
				t.Fatalf("thumbnails %v, want one %s", thumbs, tc.wantType)
			}
			m := decodeThumb(t, thumbs[0])
			b := m.Bounds()
			for _, p := range tc.probes {
				x, y := b.Min.X+p.x*b.Dx()/100, b.Min.Y+p.y*b.Dy()/100
				if c := m.At(x, y); !p.ok(c) {
					t.Errorf("at (%d,%d) of %v: %v", x, y, b.Size(), c)
				}
			}
		})
	}
}

// pngHeader returns a PNG signature and IHDR claiming w×h RGBA pixels, and
// nothing more: all a decompression bomb needs to show to be refused.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// jpegHeader returns an SOI, a baseline SOF claiming w×h grey pixels and
// an SOS, where image/jpeg's DecodeConfig stops reading.
func jpegHeader(w, h uint16) []byte {
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	out := append([]byte{0xFF, 0xD8}, segment(0xC0, sof)...)
	return append(out, segment(0xDA, []byte{1, 1, 0, 0, 63, 0})...)
}

// TestImageRefusesBombs: images whose dimensions are too large are refused
// from their header, allocating next to nothing.
func TestImageRefusesBombs(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"PNG 100000×100000", pngHeader(100000, 100000)},
		{"PNG 8000×8000: 64 megapixels", pngHeader(8000, 8000)},
		{"PNG 30000×10: a side too long", pngHeader(30000, 10)},
		{"JPEG 30000×1000", jpegHeader(30000, 1000)},
		{"JPEG 65535×65535", jpegHeader(65535, 65535)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, errThumb := makeThumbnails(bytes.NewReader(tc.in), thumbSides)
			_, errAvatar := avatarImage(bytes.NewReader(tc.in), avatarSide)
			runtime.ReadMemStats(&after)
			for _, err := range []error{errThumb, errAvatar} {
				if !errors.Is(err, errImageTooLarge) {
					t.Errorf("err = %v, want errImageTooLarge", err)
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated %d bytes to refuse it", got)
			}
		})
	}
}

// TestImageRefusesGarbage: what is no image, or a broken one, is an error,
// never a panic.
func TestImageRefusesGarbage(t *testing.T) {
	whole := jpegWith(t, quadrants(64, 64), segment(0xE1, exifPayload(binary.LittleEndian, 6, true)))
	tests := []struct {
		name   string
		in     []byte
		format bool // the error is image.ErrFormat
	}{
		{"text", []byte("hello, this is not a picture"), true},
		{"empty", nil, true},
		{"JPEG cut in its header", whole[:200], false},
		{"JPEG cut in its data", whole[:len(whole)-200], false},
		{"PNG header alone", pngHeader(10, 10), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := makeThumbnails(bytes.NewReader(tc.in), thumbSides)
			if err == nil || errors.Is(err, image.ErrFormat) != tc.format {
				t.Errorf("thumbnails: err = %v, ErrFormat wanted: %v", err, tc.format)
			}
			if _, err := avatarImage(bytes.NewReader(tc.in), avatarSide); err == nil {
				t.Error("avatar: no error")
			}
		})
	}
}

// TestAvatarImage: the centre square, upright, 256×256, as a JPEG with no
// metadata; transparency becomes white and a small picture is scaled up.
func TestAvatarImage(t *testing.T) {
	// portrait is 200×300 upright: 50 magenta rows above and below (to be
	// cropped away) and, in the centre square, green over blue.
	portrait := image.NewRGBA(image.Rect(0, 0, 200, 300))
	for y := range 300 {
		for x := range 200 {
			c := color.RGBA{255, 0, 255, 255}
			switch {
			case y >= 50 && y < 150:
				c = green
			case y >= 150 && y < 250:
				c = blue
			}
			portrait.SetRGBA(x, y, c)
		}
	}
	// bigPortrait is portrait six times over: its square is averaged down
	// before it is scaled (scaleImage), from a sub-image.
	bigPortrait := image.NewRGBA(image.Rect(0, 0, 1200, 1800))
	for y := range 1800 {
		for x := range 1200 {
			bigPortrait.SetRGBA(x, y, portrait.RGBAAt(x/6, y/6))
		}
	}
	halfClear := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	for y := range 20 {
		for x := 10; x < 20; x++ {
			halfClear.Set(x, y, red)
		}
	}
	var clearPNG bytes.Buffer
	if err := png.Encode(&clearPNG, halfClear); err != nil {
		t.Fatal(err)
	}
	corners := []image.Point{{8, 8}, {247, 8}, {8, 247}, {247, 247}}
	tests := []struct {
		name string
		in   []byte
		want []color.RGBA // at corners
	}{
		{"portrait turned by Exif 6", jpegWith(t, storedAs(portrait, 6), segment(0xE1, exifPayload(binary.BigEndian, 6, true))), []color.RGBA{green, green, blue, blue}},
		{"portrait turned by Exif 8, little-endian", jpegWith(t, storedAs(portrait, 8), segment(0xE1, exifPayload(binary.LittleEndian, 8, true))), []color.RGBA{green, green, blue, blue}},
		{"portrait as is", jpegWith(t, portrait), []color.RGBA{green, green, blue, blue}},
		{"big portrait turned by Exif 6", jpegWith(t, storedAs(bigPortrait, 6), segment(0xE1, exifPayload(binary.BigEndian, 6, true))), []color.RGBA{green, green, blue, blue}},
		{"small PNG with transparency", clearPNG.Bytes(), []color.RGBA{white, red, white, red}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := avatarImage(bytes.NewReader(tc.in), avatarSide)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range headerOf(t, data) {
				if s.marker >= 0xE0 && s.marker <= 0xEF {
					t.Errorf("avatar has an APP%d segment", s.marker-0xE0)
				}
			}
			m, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Bounds(); got != image.Rect(0, 0, avatarSide, avatarSide) {
				t.Errorf("avatar is %v", got)
			}
			for i, p := range corners {
				if got := nearest(m.At(p.X, p.Y)); got != tc.want[i] {
					t.Errorf("at %v: %v, want %v", p, got, tc.want[i])
				}
			}
		})
	}
}

// photoLike is a w×h 4:2:0 image with what a photo has: smooth gradients,
// hard edges and fine texture, in colour, from a fixed seed.
func photoLike(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(1)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			v := x*160/w + y*60/h + int(seed>>28) // gradient and grain
			if (x/97+y/61)%3 == 0 {
				v = 255 - v // blocks with hard edges
			}
			m.Y[m.YOffset(x, y)] = uint8(v)
		}
	}
	for cy := range len(m.Cb) / m.CStride {
		for cx := range m.CStride {
			m.Cb[cy*m.CStride+cx] = uint8(64 + cx*128/m.CStride)
			m.Cr[cy*m.CStride+cx] = uint8(192 - cy*128/(len(m.Cr)/m.CStride))
		}
	}
	return m
}

// shrinkYCbCr averages whole blocks of luma and of chroma, in every
// subsampling, and of a sub-image (the avatar's centre square) only what is
// inside it; a ragged edge is left out.
func TestShrinkYCbCr(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		t.Run(ratio.String(), func(t *testing.T) {
			// Luma 0 and 200 in alternate columns, chroma 10 and 50 in
			// alternate chroma columns: every 2×2 block averages to 100 and 30.
			m := image.NewYCbCr(image.Rect(0, 0, 33, 17), ratio) // odd: a ragged edge
			for i := range m.Y {
				m.Y[i] = uint8(200 * (i % m.YStride % 2))
			}
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = uint8(10+40*(i%m.CStride%2)), uint8(50-40*(i%m.CStride%2))
			}
			out := shrinkYCbCr(m, 2)
			if out.Rect != image.Rect(0, 0, 16, 8) || out.SubsampleRatio != ratio {
				t.Fatalf("shrunk to %v %v, want 16×8 %v", out.Rect, out.SubsampleRatio, ratio)
			}
			for i, v := range out.Y {
				if v != 100 {
					t.Fatalf("luma %d is %d, want 100", i, v)
				}
			}
			for i := range out.Cb {
				// A chroma plane one sample wide at the edge has no pair.
				if out.Cb[i] != 30 && out.Cb[i] != 10 || out.Cr[i] != 30 && out.Cr[i] != 50 {
					t.Fatalf("chroma %d is %d/%d, want 30/30 (or the edge's own 10/50)", i, out.Cb[i], out.Cr[i])
				}
			}
		})
	}
	t.Run("sub-image", func(t *testing.T) {
		m := photoLike(64, 48)
		for y := range 48 {
			for x := range 64 {
				if x >= 16 && x < 48 && y >= 8 && y < 40 {
					continue
				}
				m.Y[m.YOffset(x, y)] = 0 // outside the square: black
			}
		}
		out := shrinkYCbCr(m.SubImage(image.Rect(16, 8, 48, 40)).(*image.YCbCr), 4)
		if out.Rect != image.Rect(0, 0, 8, 8) {
			t.Fatalf("shrunk to %v, want 8×8", out.Rect)
		}
		for i, v := range out.Y {
			if v < 40 {
				t.Fatalf("luma %d is %d: the black outside the sub-image was averaged in", i, v)
			}
		}
	})
}

// A thumbnail of a 12-megapixel photo costs a fraction of the memory it
// took when CatmullRom worked on the whole photo (61 MiB of filter rows
// for the 640-pixel one), and looks the same: within a few levels of the
// thumbnail scaled in one pass.
func TestThumbnailOfABigPhotoIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 12-megapixel image")
	}
	photo := photoLike(4000, 3000)
	allocated := func(scale func() *image.RGBA) (*image.RGBA, uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := scale()
		runtime.ReadMemStats(&after)
		return m, after.TotalAlloc - before.TotalAlloc
	}
	got, used := allocated(func() *image.RGBA { return scaleImage(photo, 640, 480) })
	direct, usedDirect := allocated(func() *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, 640, 480))
		draw.CatmullRom.Scale(m, m.Rect, photo, photo.Rect, draw.Src, nil)
		return m
	})
	t.Logf("scaling 4000×3000 to 640×480 allocated %.1f MiB, %.1f MiB in one pass", float64(used)/(1<<20), float64(usedDirect)/(1<<20))
	if used > 32<<20 || used > usedDirect/2 {
		t.Errorf("scaling allocated %.1f MiB, want under 32 and under half the one pass's %.1f", float64(used)/(1<<20), float64(usedDirect)/(1<<20))
	}
	var diff, n float64
	for i := range got.Pix {
		if i%4 != 3 {
			diff += math.Abs(float64(got.Pix[i]) - float64(direct.Pix[i]))
			n++
		}
	}
	mean := diff / n
	t.Logf("mean difference from the one-pass thumbnail: %.2f levels of 255", mean)
	if mean > 3 {
		t.Errorf("mean difference from the one-pass thumbnail %.2f levels of 255, want at most 3", mean)
	}
}
