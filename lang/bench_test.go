package lang_test

import (
	"testing"

	"higate/lang"
)

func BenchmarkClassify(b *testing.B) {
	for _, bm := range []struct{ name, text string }{
		{"ascii-greeting", "Hi!!"},
		{"ascii-sentence", "Hi, what are your prices for the large box?"},
		{"arabic", "ﻡﺮﺤﺑﺍ 👋"},
		{"hindi", "नमस्ते।"},
		{"repeated", "hi hi hi"},
		{"fillers", "Hallo alle zusammen!"},
		{"no-spaces", "嗨你好啊"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lang.Classify(bm.text, "+31612345678")
			}
		})
	}
}

func BenchmarkConfirmation(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		lang.Confirmation(ja, "+31612345678")
	}
}

func BenchmarkEmojify(b *testing.B) {
	text := "Your order has shipped (y) track it at https://example.com/t/abc:-)123 thanks <3"
	b.ReportAllocs()
	for b.Loop() {
		lang.Emojify(text)
	}
}
