// images.go owns what the server does to the pixels of shared images:
// thumbnails (JPEG, PNG, GIF's first frame, WebP) turned upright by their
// EXIF orientation, and square avatars for profile pictures. Reading and
// rewriting a JPEG's metadata (its orientation, its location) is exif.go's.
// Everything here is a pure function of the bytes it is given: it never
// touches the store or the network.
//
// Decoding an image costs memory in proportion to its pixels, not its file
// size, so every decode is preceded by image.DecodeConfig and refused past
// maxImagePixels: a small file claiming enormous dimensions (a
// decompression bomb) costs a header read and nothing more.

package main

import (
	"bytes"
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
	var m *image.RGBA
	if photo, ok := img.(*image.YCbCr); ok {
		// Opaque, so nothing to put on white; and scaleImage first
		// averages a big photo's square down, as for thumbnails.
		m = scaleImage(photo.SubImage(crop), side, side)
	} else {
		m = image.NewRGBA(image.Rect(0, 0, side, side))
		draw.Draw(m, m.Rect, image.White, image.Point{}, draw.Src)
		draw.CatmullRom.Scale(m, m.Rect, img, crop, draw.Over, nil)
	}
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
//
// A decoded photo larger than twice the size asked for is first averaged
// down by a whole factor (shrinkYCbCr): CatmullRom keeps four float64s per
// source row for every column it writes, 61 MB for a 640-pixel thumbnail of
// a 12-megapixel photo, which on a small board is most of its memory. From
// at most twice the size it keeps a third of that, and averaging loses
// nothing a thumbnail shows.
func scaleImage(src image.Image, w, h int) *image.RGBA {
	if ycc, ok := src.(*image.YCbCr); ok {
		if k := min(ycc.Rect.Dx()/(2*w), ycc.Rect.Dy()/(2*h)); k >= 2 {
			src = shrinkYCbCr(ycc, k)
		}
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	if src.Bounds().Dx() == w && src.Bounds().Dy() == h {
		draw.Draw(m, m.Rect, src, src.Bounds().Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(m, m.Rect, src, src.Bounds(), draw.Src, nil)
	}
	return m
}

// shrinkYCbCr returns m averaged down by k in each direction, in m's own
// subsampling: each k×k block of pixels becomes one (a partial block at the
// right or bottom edge is left out), and each chroma sample the average of
// the k×k chroma samples its pixels used. It works on the planes' bytes, as
// the decoder left them, with no conversion to RGB.
func shrinkYCbCr(m *image.YCbCr, k int) *image.YCbCr {
	r := m.Rect
	out := image.NewYCbCr(image.Rect(0, 0, r.Dx()/k, r.Dy()/k), m.SubsampleRatio)
	average := func(plane []byte, stride, x0, y0, maxX, maxY int) byte {
		sum, n := 0, 0
		for y := y0; y < min(y0+k, maxY); y++ {
			for _, v := range plane[y*stride+x0 : y*stride+min(x0+k, maxX)] {
				sum += int(v)
			}
			n += min(x0+k, maxX) - x0
		}
		return byte((sum + n/2) / n)
	}
	// m's planes from its top-left pixel on: a sub-image's start inside
	// them, and how many luma and chroma samples across and down it has.
	yStart, cStart := m.YOffset(r.Min.X, r.Min.Y), m.COffset(r.Min.X, r.Min.Y)
	lastC := m.COffset(r.Max.X-1, r.Max.Y-1) - cStart
	cw, ch := lastC%m.CStride+1, lastC/m.CStride+1
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			out.Y[y*out.YStride+x] = average(m.Y[yStart:], m.YStride, x*k, y*k, r.Dx(), r.Dy())
		}
	}
	for cy := range len(out.Cb) / out.CStride {
		for cx := range out.CStride {
			i, x0, y0 := cy*out.CStride+cx, min(cx*k, cw-1), min(cy*k, ch-1)
			out.Cb[i] = average(m.Cb[cStart:], m.CStride, x0, y0, cw, ch)
			out.Cr[i] = average(m.Cr[cStart:], m.CStride, x0, y0, cw, ch)
		}
	}
	return out
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
