package docs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Reference is the API reference as the page shows it, built once from the
// contract by Build: the page only reads it, so rendering does no work on
// the document and never touches it from two goroutines.
type Reference struct {
	Title, Version, Summary string
	Intro                   []string // paragraphs of the document's description
	Auth                    []Scheme
	Errors                  []ErrorCode
	Groups                  []Group
	Webhooks                []Webhook
}

// Scheme is one way to authenticate.
type Scheme struct {
	ID, How, Description string
}

// ErrorCode is one status of the documented error body.
type ErrorCode struct {
	Code        int
	Description string
	Headers     []Header
}

// Group is the operations of one tag, in the document's tag order.
type Group struct {
	Tag, ID, Description string
	Operations           []Operation
}

// Operation is one method on one path.
type Operation struct {
	ID, Method, Path, Summary, Description string
	Auth                                   string // who may call it, in words
	Params                                 []Param
	Body                                   *Body
	Responses                              []Response
}

// Webhook is one kind of request Higate sends to a developer's receiver,
// an entry of the document's webhooks, named as its X-Higate-Event header
// names it.
type Webhook struct {
	Name, ID, Method, Summary string
	Description               []string // paragraphs
	Headers                   []Param  // what the request carries
	Body                      *Body
	Responses                 []Response // what Higate makes of the receiver's answer
}

// Param is a path, query or header parameter.
type Param struct {
	Name, In, Type, Constraints, Description string
	Required                                 bool
}

// Body is a request body: its media type, fields and examples.
type Body struct {
	ContentType string
	Required    bool
	Fields      []Field
	Examples    []Example
}

// Example is one example of a body.
type Example struct {
	Summary string // "" for a body's only example
	JSON    string // indented
}

// Field is one property of a JSON body, nested ones named with dots
// (limits.daily) and array items with [] (deliveries[].id).
type Field struct {
	Name, Type, Constraints, Description string
	Required                             bool
}

// Response is one status an operation answers: a code, a range such as
// 2XX, or "default" for any other.
type Response struct {
	Status      string
	Description string
	ContentType string   // the media types, joined; "" for no body
	Error       bool     // the body is the documented error body
	Fields      []Field  // for a JSON body other than the error body
	Headers     []Header // the headers the spec names
}

// Header is a response header.
type Header struct {
	Name, Description string
	Required          bool
}

// errorSchema is the component every error response's body refers to.
const errorSchema = "#/components/schemas/Error"

// Build makes the reference of spec: operations grouped by their first tag
// in the order of the document's tags, then by path and method. An
// operation without a tag, or with one the document does not declare, is an
// error, so nothing of the API goes missing from the page.
func Build(spec *openapi3.T) (*Reference, error) {
	ref := &Reference{}
	if spec.Info != nil {
		ref.Title, ref.Version, ref.Summary = spec.Info.Title, spec.Info.Version, spec.Info.Summary
		ref.Intro = paragraphs(spec.Info.Description)
	}
	var schemes map[string]*openapi3.SecuritySchemeRef
	if spec.Components != nil {
		schemes = spec.Components.SecuritySchemes
		ref.Auth = buildSchemes(schemes)
		ref.Errors = buildErrors(spec.Components.Responses)
	}
	index := map[string]int{}
	for _, t := range spec.Tags {
		index[t.Name] = len(ref.Groups)
		ref.Groups = append(ref.Groups, Group{Tag: t.Name, ID: "tag-" + slug(t.Name), Description: t.Description})
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) == 0 {
				return nil, fmt.Errorf("docs: %s %s has no tag", method, path)
			}
			i, ok := index[op.Tags[0]]
			if !ok {
				return nil, fmt.Errorf("docs: %s %s has tag %q, which the document does not declare", method, path, op.Tags[0])
			}
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			o := Operation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description,
				Auth: auth(security, schemes), Params: params(item, op)}
			if o.ID == "" {
				o.ID = strings.ToLower(method) + slug(path)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				o.Body = buildBody(op.RequestBody.Value)
			}
			if op.Responses != nil {
				o.Responses = buildResponses(op.Responses)
			}
			ref.Groups[i].Operations = append(ref.Groups[i].Operations, o)
		}
	}
	for i := range ref.Groups {
		slices.SortFunc(ref.Groups[i].Operations, func(a, b Operation) int {
			return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(methodRank(a.Method), methodRank(b.Method)))
		})
	}
	ref.Webhooks = buildWebhooks(spec.Webhooks)
	return ref, nil
}

// buildWebhooks lists the requests Higate sends, by name, then method.
func buildWebhooks(hooks map[string]*openapi3.PathItem) []Webhook {
	var out []Webhook
	for _, name := range sortedKeys(hooks) {
		item := hooks[name]
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, method := range slices.SortedFunc(maps.Keys(ops), func(a, b string) int { return cmp.Compare(methodRank(a), methodRank(b)) }) {
			op := ops[method]
			w := Webhook{Name: name, ID: "webhook-" + slug(name), Method: method, Summary: op.Summary,
				Description: paragraphs(op.Description), Headers: params(item, op)}
			if len(ops) > 1 {
				w.ID += "-" + strings.ToLower(method)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				w.Body = buildBody(op.RequestBody.Value)
			}
			if op.Responses != nil {
				w.Responses = buildResponses(op.Responses)
			}
			out = append(out, w)
		}
	}
	return out
}

// params lists the parameters of a path item and its operation.
func params(item *openapi3.PathItem, op *openapi3.Operation) []Param {
	var out []Param
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		if p.Value != nil {
			param := Param{Name: p.Value.Name, In: p.Value.In, Type: typeOf(p.Value.Schema),
				Description: p.Value.Description, Required: p.Value.Required}
			if p.Value.Schema != nil && p.Value.Schema.Value != nil {
				param.Constraints = constraints(p.Value.Schema.Value)
			}
			out = append(out, param)
		}
	}
	return out
}

// methodRank orders the methods of a path as people read them.
func methodRank(m string) int {
	return slices.Index([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, m)
}

func buildSchemes(schemes map[string]*openapi3.SecuritySchemeRef) []Scheme {
	var out []Scheme
	for _, id := range sortedKeys(schemes) {
		s := schemes[id].Value
		if s == nil {
			continue
		}
		out = append(out, Scheme{ID: id, How: schemeHow(s), Description: s.Description})
	}
	return out
}

// schemeHow says in a few words what a request carries for scheme s.
func schemeHow(s *openapi3.SecurityScheme) string {
	switch {
	case s.Type == "apiKey":
		return fmt.Sprintf("%s %s", s.Name, s.In)
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		return "Authorization: Bearer <token>"
	}
	return s.Type
}

// auth says in words who may call an operation: the alternatives of its
// security requirements, each the schemes it needs together.
func auth(reqs openapi3.SecurityRequirements, schemes map[string]*openapi3.SecuritySchemeRef) string {
	if len(reqs) == 0 {
		return "none"
	}
	var alts []string
	for _, req := range reqs {
		if len(req) == 0 {
			alts = append(alts, "none")
			continue
		}
		var all []string
		for _, id := range sortedKeys(req) {
			how := id
			if s, ok := schemes[id]; ok && s.Value != nil && s.Value.Type == "apiKey" {
				how = s.Value.Name
			} else if ok && s.Value != nil && s.Value.Type == "http" {
				how = "the " + id + " (" + schemeHow(s.Value) + ")"
			}
			all = append(all, how)
		}
		alts = append(alts, strings.Join(all, " + "))
	}
	return strings.Join(alts, ", or ")
}

// buildErrors lists the error responses among the components, by status.
// They are named ErrorNNN after their status, which is how the page (and a
// reader of the document) tells which status each describes.
func buildErrors(responses openapi3.ResponseBodies) []ErrorCode {
	var out []ErrorCode
	for name, r := range responses {
		code, err := strconv.Atoi(strings.TrimPrefix(name, "Error"))
		if !strings.HasPrefix(name, "Error") || err != nil || r.Value == nil {
			continue
		}
		out = append(out, ErrorCode{Code: code, Description: deref(r.Value.Description), Headers: buildHeaders(r.Value.Headers)})
	}
	slices.SortFunc(out, func(a, b ErrorCode) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

func buildBody(b *openapi3.RequestBody) *Body {
	out := &Body{Required: b.Required}
	var types []string
	for _, ct := range sortedKeys(b.Content) {
		types = append(types, ct)
		mt := b.Content[ct]
		if mt == nil || mt.Schema == nil || out.Fields != nil {
			continue
		}
		out.Fields = fields(mt.Schema, "", 0)
		out.Examples = examples(mt)
	}
	out.ContentType = strings.Join(types, ", ")
	return out
}

func buildResponses(rs *openapi3.Responses) []Response {
	var out []Response
	for status, r := range rs.Map() {
		if statusRank(status) < 0 || r.Value == nil {
			continue
		}
		resp := Response{Status: status, Description: deref(r.Value.Description), Headers: buildHeaders(r.Value.Headers)}
		if r.Description != nil { // a description next to the $ref says what this status means here
			resp.Description = *r.Description
		}
		var types []string
		for _, ct := range sortedKeys(r.Value.Content) {
			types = append(types, ct)
			mt := r.Value.Content[ct]
			if mt == nil || mt.Schema == nil {
				continue
			}
			if mt.Schema.Ref == errorSchema {
				resp.Error = true
				continue
			}
			if resp.Fields == nil {
				resp.Fields = fields(mt.Schema, "", 0)
			}
		}
		resp.ContentType = strings.Join(types, ", ")
		out = append(out, resp)
	}
	slices.SortFunc(out, func(a, b Response) int { return cmp.Compare(statusRank(a.Status), statusRank(b.Status)) })
	return out
}

// statusRank orders the keys of responses: a range (2XX) before the codes
// it holds, codes in order, "default" last; -1 for a key that is none of
// these.
func statusRank(status string) int {
	if code, err := strconv.Atoi(status); err == nil && code >= 100 && code <= 599 {
		return code*10 + 1
	}
	if len(status) == 3 && status[0] >= '1' && status[0] <= '5' && strings.EqualFold(status[1:], "XX") {
		return int(status[0]-'0') * 1000
	}
	if status == "default" {
		return 10000
	}
	return -1
}

func buildHeaders(hs openapi3.Headers) []Header {
	var out []Header
	for _, name := range sortedKeys(hs) {
		h := hs[name]
		if h == nil || h.Value == nil {
			continue
		}
		desc := h.Value.Description
		if desc == "" && h.Value.Schema != nil && h.Value.Schema.Value != nil {
			desc = h.Value.Schema.Value.Description
		}
		out = append(out, Header{Name: name, Description: desc, Required: h.Value.Required})
	}
	return out
}

// maxDepth bounds how deep fields follow nested objects, so a schema that
// refers to itself cannot loop.
const maxDepth = 4

// fields flattens the properties of an object schema: the required ones
// first, in the order the document lists them, then the others by name.
func fields(ref *openapi3.SchemaRef, prefix string, depth int) []Field {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return nil
	}
	s := ref.Value
	if isArray(s) && s.Items != nil {
		return fields(s.Items, prefix+"[]", depth+1)
	}
	names := slices.Clone(s.Required)
	for _, name := range sortedKeys(s.Properties) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var out []Field
	for _, name := range names {
		p, ok := s.Properties[name]
		if !ok || p.Value == nil {
			continue
		}
		full := name
		if prefix != "" {
			full = prefix + "." + name
		}
		out = append(out, Field{Name: full, Type: typeOf(p), Constraints: constraints(p.Value),
			Description: p.Value.Description, Required: slices.Contains(s.Required, name)})
		out = append(out, fields(p, full, depth+1)...)
	}
	return out
}

// typeOf names a schema's type for people: "string", "array of integer",
// "one of: a, b", or the component's name for a reference to an object.
func typeOf(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	s := ref.Value
	var t string
	switch {
	case len(s.Enum) > 0:
		var vs []string
		for _, v := range s.Enum {
			if v != nil { // null shows as "or null" below
				vs = append(vs, fmt.Sprint(v))
			}
		}
		t = "one of: " + strings.Join(vs, ", ")
	case isArray(s):
		t = "array of " + typeOf(s.Items)
	default:
		t = strings.Join(nonNull(s), " or ")
	}
	if s.Type.IncludesNull() {
		t += " or null"
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if s.ContentEncoding != "" {
		t += " (" + s.ContentEncoding + ")"
	}
	if t == "" {
		t = "any"
	}
	return t
}

// nonNull is a schema's types without "null".
func nonNull(s *openapi3.Schema) []string {
	return slices.DeleteFunc(slices.Clone(s.Type.Slice()), func(t string) bool { return t == "null" })
}

// isArray reports whether a schema is an array (or null).
func isArray(s *openapi3.Schema) bool {
	t := nonNull(s)
	return len(t) == 1 && t[0] == "array"
}

// constraints lists a schema's limits in words.
func constraints(s *openapi3.Schema) string {
	var c []string
	if s.MinLength > 0 {
		c = append(c, fmt.Sprintf("at least %d characters", s.MinLength))
	}
	if s.MaxLength != nil {
		c = append(c, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if s.Pattern != "" {
		c = append(c, "matches "+s.Pattern)
	}
	if s.Min != nil {
		c = append(c, fmt.Sprintf("≥ %s", strconv.FormatFloat(*s.Min, 'f', -1, 64)))
	}
	if s.Max != nil {
		c = append(c, fmt.Sprintf("≤ %s", strconv.FormatFloat(*s.Max, 'f', -1, 64)))
	}
	if s.MinItems > 0 {
		c = append(c, fmt.Sprintf("at least %d items", s.MinItems))
	}
	if s.MaxItems != nil {
		c = append(c, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.Default != nil {
		c = append(c, fmt.Sprintf("default %v", s.Default))
	}
	return strings.Join(c, "; ")
}

// examples are the media type's examples, by name, or its example, or one
// made from its schema.
func examples(mt *openapi3.MediaType) []Example {
	var out []Example
	for _, name := range sortedKeys(mt.Examples) {
		if e := mt.Examples[name]; e != nil && e.Value != nil && e.Value.Value != nil {
			out = append(out, Example{Summary: cmp.Or(e.Value.Summary, name), JSON: indent(e.Value.Value)})
		}
	}
	if out != nil {
		return out
	}
	if mt.Example != nil {
		return []Example{{JSON: indent(mt.Example)}}
	}
	if v := exampleOf(mt.Schema, 0); v != nil {
		return []Example{{JSON: indent(v)}}
	}
	return nil
}

// exampleOf makes a value that fits a schema, from the examples, defaults
// and enums it gives, and plain values of its type where it gives none.
func exampleOf(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return nil
	}
	s := ref.Value
	switch {
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Example != nil:
		return s.Example
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type.Is("object") || len(s.Properties) > 0:
		obj := map[string]any{}
		for name, p := range s.Properties {
			if v := exampleOf(p, depth+1); v != nil {
				obj[name] = v
			}
		}
		return obj
	case isArray(s):
		if v := exampleOf(s.Items, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("string"):
		return "string"
	}
	return nil
}

// indent writes v as indented JSON, with &, < and > as they are (the
// template escapes them for HTML), so a URL in an example reads as one.
func indent(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// paragraphs splits a description at its blank lines.
func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// slug makes an HTML id from a name or path: lower case, letters and
// digits, runs of anything else as one hyphen.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
