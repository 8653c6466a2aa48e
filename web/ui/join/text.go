package join

// This file is data: the join page's own words in each language Higate
// replies in (lang.Supported). The greeting, the STOP word and the
// confirmation come from package lang, so the page tells a visitor exactly
// what the gateway will recognise and answer. In each text %s (or %[1]s) is
// the greeting or stop word, %[2]s the gateway number; Arabic and Hebrew
// wrap the number in directional isolates, as lang's replies do.

// pageText is one language's words for the page.
type pageText struct {
	Name   string // the language's name in itself, for the switcher
	Title  string
	Intro  string // %s: the greeting
	Open   string
	OrSend string // %[1]s: the greeting, %[2]s: the number
	Reply  string
	Stop   string // %s: the stop word
	Switch string // "Language"
}

var texts = map[string]pageText{
	"en": {"English", "Get messages on WhatsApp",
		"Scan the code with your phone's camera, or tap the button. WhatsApp opens with the message %s ready: just send it.",
		"Open WhatsApp", "Or send %[1]s to %[2]s on WhatsApp.", "You will get this reply:",
		"To stop, send %s at any time.", "Language"},
	"ar": {"العربية", "احصل على الرسائل عبر واتساب",
		"امسح الرمز بكاميرا هاتفك أو اضغط على الزر. سيفتح واتساب والرسالة «%s» جاهزة، فقط أرسلها.",
		"افتح واتساب", "أو أرسل «%[1]s» إلى \u2066%[2]s\u2069 على واتساب.", "ستتلقى هذا الرد:",
		"لإيقاف الرسائل، أرسل «%s» في أي وقت.", "اللغة"},
	"zh": {"简体中文", "通过 WhatsApp 接收消息",
		"用手机相机扫描二维码，或点击按钮。WhatsApp 会打开并填好消息「%s」，直接发送即可。",
		"打开 WhatsApp", "或在 WhatsApp 上向 %[2]s 发送「%[1]s」。", "你会收到这条回复：",
		"如需停止，随时发送「%s」。", "语言"},
	"zh-Hant": {"繁體中文", "透過 WhatsApp 接收訊息",
		"用手機相機掃描 QR 碼，或點按按鈕。WhatsApp 會開啟並填好訊息「%s」，直接傳送即可。",
		"開啟 WhatsApp", "或在 WhatsApp 上傳送「%[1]s」到 %[2]s。", "你會收到這則回覆：",
		"如需停止，隨時傳送「%s」。", "語言"},
	"nl": {"Nederlands", "Ontvang berichten via WhatsApp",
		"Scan de code met de camera van je telefoon of tik op de knop. WhatsApp opent met het bericht %s klaar: verstuur het gewoon.",
		"WhatsApp openen", "Of stuur %[1]s naar %[2]s op WhatsApp.", "Je krijgt dit antwoord:",
		"Stuur op elk moment %s om te stoppen.", "Taal"},
	"fr": {"Français", "Recevez des messages sur WhatsApp",
		"Scannez le code avec l’appareil photo de votre téléphone ou touchez le bouton. WhatsApp s’ouvre avec le message %s prêt : il suffit de l’envoyer.",
		"Ouvrir WhatsApp", "Ou envoyez %[1]s au %[2]s sur WhatsApp.", "Vous recevrez cette réponse :",
		"Pour arrêter, envoyez %s à tout moment.", "Langue"},
	"de": {"Deutsch", "Nachrichten über WhatsApp erhalten",
		"Scannen Sie den Code mit der Handykamera oder tippen Sie auf die Schaltfläche. WhatsApp öffnet sich mit der Nachricht %s – einfach senden.",
		"WhatsApp öffnen", "Oder senden Sie %[1]s an %[2]s auf WhatsApp.", "Sie erhalten diese Antwort:",
		"Zum Abmelden senden Sie jederzeit %s.", "Sprache"},
	"he": {"עברית", "קבלו הודעות ב-WhatsApp",
		"סרקו את הקוד במצלמת הטלפון או הקישו על הכפתור. WhatsApp ייפתח עם ההודעה «%s» מוכנה: פשוט שלחו אותה.",
		"פתיחת WhatsApp", "או שלחו «%[1]s» אל \u2066%[2]s\u2069 ב-WhatsApp.", "תקבלו את התשובה הזו:",
		"כדי להפסיק, שלחו «%s» בכל עת.", "שפה"},
	"hi": {"हिन्दी", "WhatsApp पर संदेश पाएँ",
		"अपने फ़ोन के कैमरे से कोड स्कैन करें या बटन दबाएँ। WhatsApp संदेश %s के साथ खुलेगा: बस उसे भेज दें।",
		"WhatsApp खोलें", "या WhatsApp पर %[2]s को %[1]s भेजें।", "आपको यह जवाब मिलेगा:",
		"रोकने के लिए कभी भी %s भेजें।", "भाषा"},
	"id": {"Bahasa Indonesia", "Terima pesan lewat WhatsApp",
		"Pindai kode dengan kamera ponsel Anda atau ketuk tombolnya. WhatsApp terbuka dengan pesan %s yang siap dikirim: tinggal kirim.",
		"Buka WhatsApp", "Atau kirim %[1]s ke %[2]s di WhatsApp.", "Anda akan menerima balasan ini:",
		"Untuk berhenti, kirim %s kapan saja.", "Bahasa"},
	"it": {"Italiano", "Ricevi messaggi su WhatsApp",
		"Inquadra il codice con la fotocamera del telefono o tocca il pulsante. WhatsApp si apre con il messaggio %s già pronto: basta inviarlo.",
		"Apri WhatsApp", "Oppure invia %[1]s al %[2]s su WhatsApp.", "Riceverai questa risposta:",
		"Per smettere, invia %s in qualsiasi momento.", "Lingua"},
	"ja": {"日本語", "WhatsApp でメッセージを受け取る",
		"スマートフォンのカメラでコードを読み取るか、ボタンをタップしてください。WhatsApp が「%s」と入力された状態で開くので、そのまま送信してください。",
		"WhatsApp を開く", "または WhatsApp で %[2]s に「%[1]s」と送ってください。", "次の返信が届きます：",
		"停止するには、いつでも「%s」と送ってください。", "言語"},
	"pt": {"Português", "Receba mensagens pelo WhatsApp",
		"Aponte a câmera do celular para o código ou toque no botão. O WhatsApp abre com a mensagem %s pronta: é só enviar.",
		"Abrir o WhatsApp", "Ou envie %[1]s para %[2]s no WhatsApp.", "Você vai receber esta resposta:",
		"Para parar, envie %s a qualquer momento.", "Idioma"},
	"ru": {"Русский", "Получайте сообщения в WhatsApp",
		"Наведите камеру телефона на код или нажмите кнопку. WhatsApp откроется с готовым сообщением «%s» — просто отправьте его.",
		"Открыть WhatsApp", "Или отправьте «%[1]s» на номер %[2]s в WhatsApp.", "Вы получите такой ответ:",
		"Чтобы отписаться, в любой момент отправьте «%s».", "Язык"},
	"es": {"Español", "Recibe mensajes por WhatsApp",
		"Escanea el código con la cámara del móvil o toca el botón. WhatsApp se abre con el mensaje %s listo: solo tienes que enviarlo.",
		"Abrir WhatsApp", "O envía %[1]s al %[2]s por WhatsApp.", "Recibirás esta respuesta:",
		"Para darte de baja, envía %s cuando quieras.", "Idioma"},
	"uk": {"Українська", "Отримуйте повідомлення у WhatsApp",
		"Наведіть камеру телефона на код або натисніть кнопку. WhatsApp відкриється з готовим повідомленням «%s» — просто надішліть його.",
		"Відкрити WhatsApp", "Або надішліть «%[1]s» на номер %[2]s у WhatsApp.", "Ви отримаєте таку відповідь:",
		"Щоб відписатися, будь-коли надішліть «%s».", "Мова"},
}
