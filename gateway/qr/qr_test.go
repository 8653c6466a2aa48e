package qr_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	rscqr "rsc.io/qr"

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

// TestSVG reads the SVG's path back into modules and compares them with the
// encoder's: every dark module drawn, nothing else, inside the quiet zone.
func TestSVG(t *testing.T) {
	svg, err := qr.SVG("https://wa.me/15550000001?text=Hi", `join <QR> & "scan"`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg, `aria-label="join &lt;QR&gt; &amp; &#34;scan&#34;"`) {
		t.Errorf("label not escaped: %.200s", svg)
	}
	code, err := rscqr.Encode("https://wa.me/15550000001?text=Hi", rscqr.M)
	if err != nil {
		t.Fatal(err)
	}
	d := svg[strings.Index(svg, ` d="`)+4:]
	d = d[:strings.IndexByte(d, '"')]
	drawn := map[[2]int]bool{}
	for _, cmd := range strings.Split(strings.TrimSuffix(d, "z"), "z") {
		var x, y, run, back int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &run, &back); err != nil || run != back {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		for i := range run {
			drawn[[2]int{x + i - 4, y - 4}] = true
		}
	}
	for y := range code.Size {
		for x := range code.Size {
			if drawn[[2]int{x, y}] != code.Black(x, y) {
				t.Fatalf("module (%d,%d): drawn %v, want %v", x, y, drawn[[2]int{x, y}], code.Black(x, y))
			}
		}
	}
	if len(drawn) == 0 {
		t.Fatal("nothing drawn")
	}
	if _, err := qr.SVG("", "x"); err == nil {
		t.Error("empty payload: want an error")
	}
}
