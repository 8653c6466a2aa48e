// Package qr renders pairing QR codes: as a PNG for the admin page and as
// half-block characters for a terminal (higate pair). It knows nothing of
// WhatsApp; the payload is whatever the transport reports.
package qr

import (
	"errors"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/mdp/qrterminal/v3"
	qrcode "github.com/skip2/go-qrcode"
	rscqr "rsc.io/qr"
)

// PNG encodes payload as a size x size pixel PNG. Medium error correction
// is what phones scan most reliably off a screen; size below 64 is raised
// to 64 so the modules stay readable.
func PNG(payload string, size int) ([]byte, error) {
	if payload == "" {
		return nil, errors.New("qr: empty payload")
	}
	size = max(size, 64)
	png, err := qrcode.Encode(payload, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	return png, nil
}

// Terminal writes payload to w as a QR code of half-block characters (two
// modules per character cell, so it fits an 80x24 terminal). Light modules
// are drawn in the text colour, so the code reads right on the usual light
// text on dark background; on a light theme it shows inverted. A payload
// too long for a QR code is reported as a line of text instead.
func Terminal(w io.Writer, payload string) {
	// qrterminal ignores the encoder's error and would dereference a nil
	// code, so the payload is checked first.
	if _, err := rscqr.Encode(payload, rscqr.L); err != nil {
		fmt.Fprintf(w, "cannot show QR code: %v\n", err)
		return
	}
	qrterminal.GenerateWithConfig(payload, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      qrterminal.QUIET_ZONE, // scanners want a wide margin
	})
}

// SVG draws payload as an SVG QR code: one path of dark modules on a white
// square with the standard four-module quiet zone. It scales to any size
// (the viewBox is in modules) and needs no script or image request, so a
// page can inline it under a strict Content-Security-Policy. label becomes
// the image's accessible name.
func SVG(payload, label string) (string, error) {
	if payload == "" {
		return "", errors.New("qr: empty payload")
	}
	code, err := rscqr.Encode(payload, rscqr.M)
	if err != nil {
		return "", fmt.Errorf("qr: encode: %w", err)
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`,
		n, n, html.EscapeString(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range code.Size {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			// Runs of dark modules on a row are one rectangle.
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
