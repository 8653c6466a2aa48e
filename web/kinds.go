package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"higate/lang"
	"higate/quota"
	"higate/registry"
	"higate/registry/phone"
)

// The kinds beyond WhatsMate's: audio, video, location and contact. Their
// bodies share sendBody with the others; kindFields validates what each
// needs into the request.

// avBodyLimit is the body limit of audio and video sends: base64 of the
// largest file, plus room for the rest.
const avBodyLimit = max(quota.MaxAudioBytes, quota.MaxVideoBytes)*4/3 + 64<<10

// kindFields fills req from the body fields of an audio, video, location
// or contact send.
func (s *server) kindFields(req *registry.SendRequest, b sendBody) error {
	var err error
	switch req.Kind {
	case "audio":
		req.Media, req.Mimetype, err = s.sniffedMedia(b.Audio, "audio", quota.MaxAudioBytes, sniffAudio)
	case "video":
		if req.Caption, err = textField("caption", b.Caption, false); err != nil {
			return err
		}
		req.Caption = lang.Emojify(req.Caption)
		req.Media, req.Mimetype, err = s.sniffedMedia(b.Video, "video", quota.MaxVideoBytes, sniffVideo)
	case "location":
		err = locationFields(req, b)
	case "contact":
		err = contactFields(req, b)
	}
	return err
}

// sniffedMedia decodes base64 media, checks by its content that it is what
// the route sends (sniff returns the mimetype, or the refusal), and spools
// it. It returns the spool name and the mimetype.
func (s *server) sniffedMedia(b64, field string, limit int, sniff func([]byte) (string, error)) (string, string, error) {
	data, err := decodeMedia(b64, field, limit)
	if err != nil {
		return "", "", err
	}
	mimetype, err := sniff(data)
	if err != nil {
		return "", "", err
	}
	name, err := s.Store.SpoolMedia(data)
	return name, mimetype, err
}

// locationFields checks a location: latitude and longitude, both required
// and on the map, and an optional name and address.
func locationFields(req *registry.SendRequest, b sendBody) error {
	for _, c := range []struct {
		name  string
		v     *float64
		limit float64
	}{{"latitude", b.Latitude, 90}, {"longitude", b.Longitude, 180}} {
		if c.v == nil {
			return badRequest(c.name, fmt.Sprintf("give the %s in decimal degrees, -%g to %g", c.name, c.limit, c.limit))
		}
		if *c.v < -c.limit || *c.v > c.limit {
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("give the %s in decimal degrees, -%g to %g", c.name, c.limit, c.limit),
				"%s %g is out of range", c.name, *c.v)
		}
	}
	req.Latitude, req.Longitude = *b.Latitude, *b.Longitude
	var err error
	if req.PlaceName, err = limitedText("name", strings.TrimSpace(b.Name), false, quota.MaxPlaceChars); err != nil {
		return err
	}
	req.PlaceAddress, err = limitedText("address", strings.TrimSpace(b.Address), false, quota.MaxPlaceChars)
	return err
}

// contactFields checks a contact: a name, and a number libphonenumber
// takes for valid, which the vCard carries in E.164.
func contactFields(req *registry.SendRequest, b sendBody) error {
	name, err := limitedText("contact_name", strings.TrimSpace(b.ContactName), false, quota.MaxContactChars)
	if err != nil {
		return err
	}
	if name == "" {
		return badRequest("contact_name", "give the contact's name, as the recipient's phone should save it")
	}
	if b.ContactNumber == "" {
		return badRequest("contact_number", "give the contact's number with country code, e.g. 4915112345678")
	}
	number, err := phone.Normalize(b.ContactNumber)
	if err != nil {
		return registry.Errorf(registry.CodeBadRequest, "include the country code, e.g. 4915112345678",
			"contact_number %q is not a valid number", b.ContactNumber)
	}
	req.ContactName, req.ContactNumber = name, number
	return nil
}

// Refusals of media whose content is not what the route sends.
const (
	audioRemedy = "send Ogg/Opus (goes as a voice note), MP3, M4A, AAC or AMR audio"
	videoRemedy = "send MP4 (H.264 video with AAC audio) or 3GP video"
)

// sniffAudio tells by its first bytes which audio WhatsApp plays data is:
// Ogg with the Opus codec (a voice note), MP3, M4A (MPEG-4 audio), AAC
// (ADTS) or AMR. Go's http.DetectContentType is not enough here: it takes
// an M4A for video/mp4, and an MP3 without an ID3 tag for octet-stream.
func sniffAudio(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("OggS")):
		if oggOpus(data) {
			return "audio/ogg; codecs=opus", nil
		}
		return "", registry.Errorf(registry.CodeBadRequest, "encode Ogg audio with the Opus codec, as WhatsApp's voice notes are, or "+audioRemedy,
			"audio is Ogg, but not Opus (WhatsApp plays Ogg only with Opus)")
	case bytes.HasPrefix(data, []byte("ID3")), mpegAudioFrame(data):
		return "audio/mpeg", nil
	case adtsFrame(data):
		return "audio/aac", nil
	case bytes.HasPrefix(data, []byte("#!AMR\n")):
		return "audio/amr", nil
	}
	if brand, ok := isoBrand(data); ok {
		if videoBrand(brand) || strings.HasPrefix(brand, "3g") {
			return "", registry.Errorf(registry.CodeBadRequest, "send it to the video route, or "+audioRemedy,
				"audio is a video (MPEG-4 brand %q)", strings.TrimSpace(brand))
		}
		return "audio/mp4", nil
	}
	return "", registry.Errorf(registry.CodeBadRequest, audioRemedy, "audio is not audio WhatsApp plays (%s)", http.DetectContentType(data))
}

// sniffVideo tells by its first bytes whether data is an MP4 or 3GP video,
// the containers WhatsApp plays.
func sniffVideo(data []byte) (string, error) {
	brand, ok := isoBrand(data)
	switch {
	case !ok:
		return "", registry.Errorf(registry.CodeBadRequest, videoRemedy, "video is not a video WhatsApp plays (%s)", http.DetectContentType(data))
	case brand == "qt  ":
		return "", registry.Errorf(registry.CodeBadRequest, "convert the QuickTime movie to MP4, e.g. ffmpeg -i in.mov -c:v libx264 -c:a aac out.mp4",
			"video is a QuickTime movie (.mov), which WhatsApp does not play")
	case audioBrand(brand):
		return "", registry.Errorf(registry.CodeBadRequest, "send it to the audio route, or "+videoRemedy,
			"video is audio only (MPEG-4 brand %q)", strings.TrimSpace(brand))
	case strings.HasPrefix(brand, "3g"):
		return "video/3gpp", nil
	}
	return "video/mp4", nil
}

// oggOpus reports whether an Ogg stream's first page carries an Opus
// identification header: the page's payload, after the 27-byte header and
// its segment table, starts with "OpusHead" (RFC 7845 §3).
func oggOpus(data []byte) bool {
	if len(data) < 27 {
		return false
	}
	start := 27 + int(data[26])
	return len(data) >= start+8 && string(data[start:start+8]) == "OpusHead"
}

// mpegAudioFrame reports whether data starts with an MPEG audio frame
// header (MP3 without an ID3 tag): 11 sync bits, a version and a layer
// that are not reserved, and a bitrate that is not "bad".
func mpegAudioFrame(data []byte) bool {
	if len(data) < 4 || data[0] != 0xFF || data[1]&0xE0 != 0xE0 {
		return false
	}
	version, layer, bitrate := data[1]>>3&3, data[1]>>1&3, data[2]>>4
	return version != 1 && layer != 0 && bitrate != 0xF
}

// adtsFrame reports whether data starts with an ADTS header (raw AAC): 12
// sync bits and layer 0, which MPEG audio frames never have.
func adtsFrame(data []byte) bool {
	return len(data) >= 7 && data[0] == 0xFF && data[1]&0xF6 == 0xF0
}

// isoBrand returns the major brand of an ISO base media file (MP4, M4A,
// 3GP, QuickTime): the file starts with an "ftyp" box.
func isoBrand(data []byte) (string, bool) {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return "", false
	}
	return string(data[8:12]), true
}

// audioBrand reports a brand of audio-only MPEG-4 files (M4A, audio books,
// protected audio, Flash audio).
func audioBrand(b string) bool {
	switch b {
	case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ":
		return true
	}
	return false
}

// videoBrand reports a brand that is a video's, never an M4A's.
func videoBrand(b string) bool {
	switch b {
	case "M4V ", "M4VH", "M4VP", "F4V ", "F4P ", "qt  ":
		return true
	}
	return false
}
