package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"higate/registry"
)

// utf8BOM is the byte order mark some Windows tools put before UTF-8 text.
// RFC 8259 lets a parser ignore it, and Go's would choke on it.
var utf8BOM = []byte("\xef\xbb\xbf")

// decode reads a JSON body of at most limit bytes into v, a pointer to a
// struct, and checks the text in it once for every route:
//
//   - the body must be one JSON object, in UTF-8, without NUL bytes; a
//     leading byte order mark is ignored, and so is the Content-Type (the
//     WhatsMate sample clients do not all send application/json);
//   - no string field may hold a NUL character (a "\u0000" escape);
//   - a field tagged `max:"N"` holds at most N characters (Unicode code
//     points) if it is a string, or at most N elements if it is a slice.
//
// Unknown fields are ignored, as WhatsMate ignores them. Every error is an
// *registry.Error in plain words that names the field and the byte offset
// where that helps, never Go's own wording; a body over the limit is an
// *http.MaxBytesError, which writeError turns into a 413.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return registry.Errorf(registry.CodeBadRequest, "send the whole body, as long as its Content-Length says",
			"the body could not be read to its end")
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	if err := checkBodyText(body); err != nil {
		return err
	}
	if err := unmarshal(body, v); err != nil {
		return err
	}
	return checkFields(reflect.ValueOf(v), "")
}

// exampleBody is the remedy of a body that is not a JSON object at all.
const exampleBody = "send a JSON object as the body, with the fields README.md lists for this route"

// checkBodyText refuses an empty body, NUL bytes and invalid UTF-8 (which
// JSON does not allow, and which Go's decoder would silently replace).
func checkBodyText(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return registry.Errorf(registry.CodeBadRequest, exampleBody, "the body is empty")
	}
	if i := bytes.IndexByte(body, 0); i >= 0 {
		return registry.Errorf(registry.CodeBadRequest, "remove the NUL bytes: JSON text cannot contain them",
			"the body contains a NUL byte at byte %d", i)
	}
	if !utf8.Valid(body) {
		return registry.Errorf(registry.CodeBadRequest, "encode the body as UTF-8, as JSON requires",
			"the body is not valid UTF-8 (at byte %d)", invalidUTF8At(body))
	}
	return nil
}

// invalidUTF8At is the offset of the first byte of body that is not valid UTF-8.
func invalidUTF8At(body []byte) int {
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(body)
}

// unmarshal decodes exactly one JSON object from body into v.
func unmarshal(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if kind := jsonKindOf(trimmed[0]); kind != "" && kind != "an object" {
		return registry.Errorf(registry.CodeBadRequest, exampleBody, "the body must be a JSON object, not %s", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err, len(body), reflect.TypeOf(v))
	}
	rest := body[dec.InputOffset():]
	if extra := bytes.TrimLeft(rest, " \t\r\n"); len(extra) != 0 {
		return registry.Errorf(registry.CodeBadRequest, "send exactly one JSON object, with nothing after it",
			"malformed JSON: unexpected data after the object, at byte %d", len(body)-len(extra))
	}
	return nil
}

// jsonKindOf names the kind of JSON value that starts with b, "" if none does.
func jsonKindOf(b byte) string {
	switch {
	case b == '{':
		return "an object"
	case b == '[':
		return "an array"
	case b == '"':
		return "a string"
	case b == 't' || b == 'f':
		return "true or false"
	case b == 'n':
		return "null"
	case b == '-' || b >= '0' && b <= '9':
		return "a number"
	}
	return ""
}

// jsonError translates an error of encoding/json into plain words. Go's
// own messages name Go types and struct fields (`cannot unmarshal number
// into Go struct field sendBody.number of type string`), which mean
// nothing to a client and say too much about the server. Byte offsets
// count from 0. target is the type decoded into.
func jsonError(err error, size int, target reflect.Type) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var invalid *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &syntax):
		// A SyntaxError's text is encoding/json's description of the JSON
		// grammar ("invalid character '}' after object key"), with no Go in it.
		return registry.Errorf(registry.CodeBadRequest, "check the JSON near that byte: quotes, commas, colons and brackets",
			"malformed JSON at byte %d: %s", max(syntax.Offset-1, 0), syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return registry.Errorf(registry.CodeBadRequest, "send the complete JSON object; check for a missing closing quote or brace",
			"malformed JSON: the body ends at byte %d before the object is complete", size)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return registry.Errorf(registry.CodeBadRequest, exampleBody, "the body must be a JSON object, not %s", valueName(typ.Value))
		}
		ft, name := lookupField(target, typ.Field)
		want := jsonTypeName(typ.Type)
		if ft != nil && (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array) && ft.Elem() == typ.Type {
			// The field is an array and one of its items has the wrong type.
			want = jsonTypeName(ft)
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("send %s as %s", name, want),
				"%s must be %s; an item is %s", name, want, valueName(typ.Value))
		}
		return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("send %s as %s", name, want),
			"%s must be %s, not %s", name, want, valueName(typ.Value))
	case errors.As(err, &invalid):
		return fmt.Errorf("decode: %w", err) // a bug in a handler: internal
	}
	return registry.Errorf(registry.CodeBadRequest, "check the body against the API reference in README.md",
		"a value in the body has the wrong form")
}

// lookupField finds the field at a dotted path of encoding/json (which
// names untagged fields as Go does) in t: its type, nil if there is none,
// and its path in the JSON names clients use.
func lookupField(t reflect.Type, path string) (reflect.Type, string) {
	var names []string
	for seg := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			var found reflect.Type
			for i := range t.NumField() {
				if name, ok := jsonName(t.Field(i)); ok && strings.EqualFold(name, seg) {
					found, seg = t.Field(i).Type, name
					break
				}
			}
			if found == nil {
				return nil, path
			}
			t = found
		case reflect.Map:
			t = t.Elem()
		default:
			return nil, path
		}
		names = append(names, seg)
	}
	return t, strings.Join(names, ".")
}

// jsonTypeName says in JSON's terms what a Go type accepts.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string (in double quotes)"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another kind of value"
}

// valueName turns encoding/json's description of the value it found
// ("number", "number -1", "string", "bool", "array", "object") into words.
func valueName(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return "the number " + n
	}
	switch v {
	case "number":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	return "a value of another kind"
}

// checkFields walks what decode filled in: every string must be free of
// NUL characters, and fields tagged `max` within their limit. path is the
// JSON name of v's field, dotted for nested objects.
func checkFields(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkFields(v.Elem(), path)
	case reflect.String:
		s := v.String()
		if i := strings.IndexByte(s, 0); i >= 0 {
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("remove the NUL characters (\\u0000) from %s", path),
				"%s contains a NUL character", path)
		}
		if !utf8.ValidString(s) {
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("send %s as UTF-8 text", path), "%s is not valid UTF-8", path)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkFields(v.Index(i), path); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := checkFields(it.Value(), path+"."+fmt.Sprint(it.Key())); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for _, f := range jsonFields(v.Type()) {
			name := f.name
			if path != "" {
				name = path + "." + name
			}
			if err := checkMax(f, v.Field(f.index), name); err != nil {
				return err
			}
			if err := checkFields(v.Field(f.index), name); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonField is a struct field that JSON fills, as checkFields needs it.
type jsonField struct {
	index  int
	name   string // in JSON
	max    int    // its `max` tag; -1 for none
	badMax string // a `max` tag that is not a number
}

// fieldsOf caches jsonFields: reading the tags of a request body's type on
// every request was a tenth of the handler's time.
var fieldsOf sync.Map // reflect.Type -> []jsonField

// jsonFields is the fields of struct type t that JSON fills.
func jsonFields(t reflect.Type) []jsonField {
	if fs, ok := fieldsOf.Load(t); ok {
		return fs.([]jsonField)
	}
	var fs []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		jf := jsonField{index: i, name: name, max: -1}
		if tag := f.Tag.Get("max"); tag != "" {
			if n, err := strconv.Atoi(tag); err == nil && n >= 0 {
				jf.max = n
			} else {
				jf.badMax = tag
			}
		}
		fs = append(fs, jf)
	}
	fieldsOf.Store(t, fs)
	return fs
}

// jsonName is the name a struct field has in JSON, and whether JSON fills it.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name, true
	}
	// Untagged fields match their JSON key without regard to case; the
	// lower-case name is how clients write it.
	return strings.ToLower(f.Name), true
}

// checkMax applies a field's `max` tag: characters of a string, elements
// of a slice.
func checkMax(f jsonField, v reflect.Value, name string) error {
	if f.badMax != "" {
		return fmt.Errorf("decode: field %s has a bad max tag %q", name, f.badMax) // a typo in a handler: internal
	}
	limit := f.max
	if limit < 0 {
		return nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		if n := utf8.RuneCountInString(v.String()); n > limit {
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("shorten %s to at most %d characters", name, limit),
				"%s is %d characters long, over the limit of %d", name, n, limit)
		}
	case reflect.Slice:
		if n := v.Len(); n > limit {
			return registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("send at most %d items in %s", limit, name),
				"%s has %d items, over the limit of %d", name, n, limit)
		}
	}
	return nil
}
