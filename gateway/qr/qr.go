// Package qr renders pairing QR codes: as a PNG for the admin page and as
// half-block characters for a terminal (higate pair). It knows nothing of
// WhatsApp; the payload is whatever the transport reports.
package qr

import (
	"errors"
	"fmt"
	"io"

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
