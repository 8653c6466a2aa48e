package lang

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Catalog keys. The words have keys of their own so that everything a reply
// says comes out of the catalog, and so Keywords can hand them out.
const (
	keyConfirmation = "confirmation"
	keyOptOut       = "opt-out"
	keyHint         = "hint"
	keyStop         = "word.stop"
	keyHello        = "word.hello"
)

// replies holds the catalog built from translations and one printer per
// supported language. Everything is built once at start-up; a Printer only
// reads its catalog, so replies are safe for concurrent use.
var replies = newReplies()

type replyCatalog struct {
	tags     []language.Tag                    // supported, English first
	matcher  language.Matcher                  // over tags
	printers map[language.Tag]*message.Printer // by supported tag
}

func newReplies() *replyCatalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	rc := &replyCatalog{printers: make(map[language.Tag]*message.Printer, len(translations))}
	for _, t := range translations {
		tag := language.MustParse(t.tag)
		for key, msg := range map[string]string{
			keyConfirmation: t.confirmation,
			keyOptOut:       t.optOut,
			keyHint:         t.hint,
			keyStop:         t.stop,
			keyHello:        t.hello,
		} {
			if err := b.SetString(tag, key, msg); err != nil {
				panic("lang: translation " + t.tag + " " + key + ": " + err.Error())
			}
		}
		rc.tags = append(rc.tags, tag)
		rc.printers[tag] = message.NewPrinter(tag, message.Catalog(b))
	}
	rc.matcher = language.NewMatcher(rc.tags)
	return rc
}

// printer returns the printer for the supported language closest to tag,
// English when none is close.
func (rc *replyCatalog) printer(tag language.Tag) *message.Printer {
	return rc.printers[rc.match(tag)]
}

func (rc *replyCatalog) match(tag language.Tag) language.Tag {
	if _, ok := rc.printers[tag]; ok {
		return tag // the common case: a tag Classify returned
	}
	_, i, c := rc.matcher.Match(tag)
	if c == language.No {
		return language.English
	}
	return rc.tags[i]
}

// Supported lists the languages Higate replies in, English first: the
// fifteen of the word tables plus Chinese in Traditional script (zh-Hant),
// which Taiwan, Hong Kong and Macau read. The slice is a copy.
func Supported() []language.Tag {
	return append([]language.Tag(nil), replies.tags...)
}

// Match returns the supported language closest to the BCP 47 tag s, such
// as a user's saved preference or an Accept-Language value: "pt-BR" gives
// Portuguese and "zh-TW" Traditional Chinese. It returns English when s does
// not parse or nothing supported is close.
func Match(s string) language.Tag {
	t, err := language.Parse(s)
	if err != nil {
		return language.English
	}
	return replies.match(t)
}

// Confirmation is the reply to a greeting in language tag: the sender is
// registered on gateway (its E.164 number) and how to opt out. A tag that is
// not supported gets its closest supported language, English by default.
func Confirmation(tag language.Tag, gateway string) string {
	return replies.render(tag, keyConfirmation, gateway)
}

// OptOutConfirmation is the reply to an opt-out in language tag: no more
// messages from gateway, and how to register again.
func OptOutConfirmation(tag language.Tag, gateway string) string {
	return replies.render(tag, keyOptOut, gateway)
}

// Hint is the reply, at most once a day, to text that is neither a greeting
// nor an opt-out: gateway is an automated number, how to register and how to
// opt out. Classify gives no language for such text; ForSender does.
func Hint(tag language.Tag, gateway string) string {
	return replies.render(tag, keyHint, gateway)
}

// Keywords returns the greeting and the opt-out word the replies in language
// tag tell people to send, for use in a UI or a printed notice. Classify
// recognises both.
func Keywords(tag language.Tag) (greeting, stop string) {
	p := replies.printer(tag)
	return p.Sprintf(keyHello), p.Sprintf(keyStop)
}

func (rc *replyCatalog) render(tag language.Tag, key, gateway string) string {
	p := rc.printer(tag)
	return p.Sprintf(key, gateway, p.Sprintf(keyStop), p.Sprintf(keyHello))
}
