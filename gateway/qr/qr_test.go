package qr_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"higate/gateway/qr"
)

// payload looks like a WhatsApp pairing QR: ref, noise key, identity key, secret.
const payload = "2@AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==,QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=,MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3A=,c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"

func TestPNG(t *testing.T) {
	for _, size := range []int{256, 10} {
		b, err := qr.PNG(payload, size)
		if err != nil {
			t.Fatalf("PNG(%d): %v", size, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("PNG(%d) does not decode: %v", size, err)
		}
		want := max(size, 64)
		if got := img.Bounds().Dx(); got != want {
			t.Errorf("PNG(%d) width = %d, want %d", size, got, want)
		}
	}
}

func TestPNGEmpty(t *testing.T) {
	if _, err := qr.PNG("", 256); err == nil {
		t.Fatal("PNG of an empty payload: want an error")
	}
}

func TestTerminal(t *testing.T) {
	var buf bytes.Buffer
	qr.Terminal(&buf, payload)
	out := buf.String()
	if out == "" {
		t.Fatal("Terminal wrote nothing")
	}
	for _, c := range []string{"▀", "▄", "█"} {
		if !strings.Contains(out, c) {
			t.Errorf("Terminal output has no %q half block", c)
		}
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	width := len([]rune(lines[0]))
	// Half blocks put two module rows in one line: the code is about twice
	// as wide as it is tall.
	if len(lines)*3/2 > width {
		t.Errorf("%d lines for %d columns: not half blocks", len(lines), width)
	}
}

func TestTerminalTooLong(t *testing.T) {
	var buf bytes.Buffer
	qr.Terminal(&buf, strings.Repeat("x", 5000))
	if !strings.Contains(buf.String(), "cannot show QR code") {
		t.Fatalf("Terminal of an oversized payload = %q, want an explanation", buf.String())
	}
}
