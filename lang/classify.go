package lang

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// maxText bounds the inbound text Classify looks at. A greeting or opt-out
// with its decoration is a few dozen bytes; anything this long is a real
// message, and refusing it early keeps a flood of long texts cheap.
const maxText = 1024

// maxWords bounds the words in a greeting or opt-out together with its
// fillers ("hi hi hi", "Hallo alle zusammen"); more is a sentence or noise.
// In text written without spaces each recognised piece counts as a word.
const maxWords = 8

// maxRunes bounds the text written without spaces (Han, kana) that Classify
// splits into words: eight four-character greetings.
const maxRunes = 32

// maxLangs bounds the languages one table entry may list; Classify narrows
// them in a fixed-size array.
const maxLangs = 4

// word is what a spelling in the tables means: an intent (a greeting or an
// opt-out word) or a filler that may stand around one.
type word struct {
	// intent is Greeting or OptOut for a word of the tables, None for a
	// filler.
	intent Intent
	// fills holds, for a filler, the intents it may stand beside, as the
	// bits 1<<Greeting and 1<<OptOut.
	fills uint8
	// langs are the languages that use the spelling, default first; nil
	// means any language (STOP).
	langs []language.Tag
	// id is the word's index in entries.
	id uint16
	// longest is, for a single word, the most words of an entry that
	// starts with it ("good" in "good morning" has 2), so that Classify
	// looks up longer phrases only where one may start. A word that only
	// starts longer entries is in the map with no intent and no fills.
	longest uint8
}

// fits reports whether w may be part of a message of intent x, and whether
// it carries that intent (rather than being a filler).
func (w *word) fits(x Intent) (ok, carries bool) {
	if w.intent != None {
		return w.intent == x, true
	}
	return w.fills&(1<<x) != 0, false
}

// words maps the phraseKey of every spelling in the tables (greetings,
// optOuts and the fillers) to its meaning, and entries lists the same words
// by id. Both are built once at start-up and only read afterwards, so
// concurrent Classify calls need no locking.
var words, entries = buildWords()

func buildWords() (map[string]*word, []*word) {
	m := make(map[string]*word, len(greetings)+len(optOuts)+len(greetingFillers)+len(optOutFillers))
	add := func(intent Intent, filler bool, text, langs string) {
		k := phraseKey(text)
		if k == "" {
			panic("lang: empty word in table: " + text)
		}
		var tags []language.Tag
		if langs != "*" {
			for _, l := range strings.Fields(langs) {
				tags = append(tags, language.MustParse(l))
			}
		}
		if len(tags) > maxLangs || filler && tags == nil {
			panic("lang: a word needs 1 to maxLangs languages, a filler has no *: " + text)
		}
		if w := m[k]; w != nil {
			// A filler may be listed for both intents; anything else
			// listed twice is a slip in the tables.
			if !filler || w.intent != None || w.fills&(1<<intent) != 0 {
				panic("lang: duplicate word in table: " + text)
			}
			w.fills |= 1 << intent
			for _, t := range tags {
				if !containsTag(w.langs, t) {
					w.langs = append(w.langs, t)
				}
			}
			if len(w.langs) > maxLangs {
				panic("lang: a filler has more than maxLangs languages: " + text)
			}
			return
		}
		w := &word{intent: intent, langs: tags}
		if filler {
			w.intent, w.fills = None, 1<<intent
		}
		m[k] = w
		if strings.Count(k, " ")+1 > maxPhraseWords {
			panic("lang: more than maxPhraseWords words in: " + text)
		}
	}
	for _, g := range greetings {
		add(Greeting, false, g.text, g.langs)
	}
	for _, o := range optOuts {
		add(OptOut, false, o.text, o.langs)
	}
	for _, f := range greetingFillers {
		add(Greeting, true, f.text, f.langs)
	}
	for _, f := range optOutFillers {
		add(OptOut, true, f.text, f.langs)
	}
	// Mark the first word of every longer entry, adding it if it is no
	// entry of its own.
	for _, k := range slices.Collect(maps.Keys(m)) {
		n := strings.Count(k, " ") + 1
		if n == 1 {
			continue
		}
		first := k[:strings.IndexByte(k, ' ')]
		if m[first] == nil {
			m[first] = &word{}
		}
		m[first].longest = max(m[first].longest, uint8(n))
	}
	list := slices.Collect(maps.Values(m))
	for i, w := range list {
		w.id = uint16(i)
	}
	return m, list
}

// phraseKey is the form a table spelling is looked up by: the form Classify
// gives inbound text, with its words joined by single spaces.
func phraseKey(text string) string {
	return strings.Join(strings.FieldsFunc(matchKey(Normalize(text)), isSeparator), " ")
}

func containsTag(tags []language.Tag, t language.Tag) bool {
	for _, u := range tags {
		if u == t {
			return true
		}
	}
	return false
}

// Classify tells whether text is a greeting or an opt-out, and in which
// language. sender is the sender's E.164 number ("+31612345678"); it decides
// between the languages that share a word ("Hallo" from +31 is Dutch, from
// +49 German) and gives STOP its language. For any other text Classify
// returns None and language.Und; use ForSender to pick a reply language.
//
// The rule: after Normalize (which folds case and width and trims
// punctuation, emoji and whitespace around the text) and matchKey (which
// drops accents, Arabic and Hebrew vowel marks and Cyrillic lookalikes in
// Latin words), the text is split into words at whitespace, punctuation and
// emoji. It is a greeting when those words, at most 8 of them, are all
// greeting words and fillers, with at least one greeting word; likewise an
// opt-out. Fillers are a short list per language of words that add nothing
// to the intent (see words.go): whom one greets ("there", "zusammen",
// "amigo"), courtesy ("please", "bitte", "por favor") and particles ("啊",
// "吧"); each goes with greetings, opt-outs or both. So "Hi!!", "Hi there 👋",
// "Hallo zusammen", "hey hi", "stop please" and "STOP!!" qualify, and a
// sentence that merely contains the word does not: "I will stop by
// tomorrow", "don't stop", "Hi, can you send me the invoice?", "stopwatch".
// Text over 1 KiB never qualifies. Besides, a word may stretch its last
// letter ("hiii", "holaaa", "stoppp"), and text written without spaces (Han,
// kana) is split into known words, so "你好啊", "嗨你好" and "停止してください"
// qualify; Latin words run together do not ("hihi" is laughter).
//
// The language is the first intent word's; when it has several, a filler
// that belongs to only some of them narrows the choice ("Hallo allemaal" is
// Dutch, "Stop bitte" German), then the sender's country decides among what
// remains, then the word's default.
func Classify(text, sender string) (Intent, language.Tag) {
	if len(text) > maxText {
		return None, language.Und
	}
	k := matchKey(Normalize(text))
	if k == "" {
		return None, language.Und
	}
	if w := lookup(k); w != nil && w.intent != None {
		return w.intent, choose([]*word{w}, sender)
	}
	var m input
	if !m.split(k) {
		return None, language.Und
	}
	var buf [maxWords]*word
	x, phrases := m.parse(&buf)
	if x == None {
		return None, language.Und
	}
	return x, choose(phrases, sender)
}

// choose picks the language of a message made of phrases (table entries in
// text order, at least one carrying the intent) from sender.
func choose(phrases []*word, sender string) language.Tag {
	var base *word
	for _, w := range phrases {
		if w.intent != None {
			base = w
			break
		}
	}
	// cands are the languages still possible, in the base's order so its
	// default stays first; open means no word has narrowed them yet
	// (STOP), so any language is.
	var buf [maxLangs]language.Tag
	cands, open := buf[:0], base.langs == nil
	cands = append(cands, base.langs...)
	for _, w := range phrases {
		if w == base || w.langs == nil {
			continue
		}
		if open {
			cands, open = append(cands[:0], w.langs...), false
			continue
		}
		var keep [maxLangs]language.Tag
		both := keep[:0]
		for _, t := range cands {
			if containsTag(w.langs, t) {
				both = append(both, t)
			}
		}
		if len(both) > 0 { // a filler of another language narrows nothing
			cands = append(cands[:0], both...)
		}
	}
	country := ForSender(sender)
	if open {
		if country == language.Und {
			return language.English
		}
		return country
	}
	if containsTag(cands, country) {
		return country
	}
	return cands[0]
}

// lookup finds k in the tables as it is or with its stretched last letter
// shortened to one or two ("hiii" -> "hi", "安安安" -> "安安").
func lookup(k string) *word {
	if w := words[k]; w != nil {
		return w
	}
	last, n := utf8.DecodeLastRuneInString(k)
	if !unicode.IsLetter(last) {
		return nil
	}
	// k is stem followed by run copies of last; the shortened forms are
	// prefixes of k, so looking them up allocates nothing.
	stem := len(k) - n
	run := 1
	for stem >= n && k[stem-n:stem] == k[len(k)-n:] {
		stem -= n
		run++
	}
	if run < 2 {
		return nil
	}
	if w := words[k[:stem+n]]; w != nil {
		return w
	}
	if run > 2 {
		return words[k[:stem+2*n]]
	}
	return nil
}
