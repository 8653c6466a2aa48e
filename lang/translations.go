package lang

// This file is data: the system replies in every supported language, loaded
// into a message catalog once at start-up (see replies.go). In each text
// %[1]s is the gateway number, %[2]s the stop word and %[3]s the greeting
// word of the same entry; the words are kept apart from the sentences so a
// test can check that each one really is recognised by Classify in that
// language. Arabic and Hebrew wrap the number in Unicode directional
// isolates (U+2066 … U+2069) so that "+31…" is not reordered into "…31+"
// inside right-to-left text. A literal percent sign must be written %%.
//
// Replies name no brand: a product name in Latin letters would break the
// promise that each reply is written in its language's own script.

// translation is one language's replies.
type translation struct {
	tag          string // BCP 47
	stop         string // the opt-out word the replies tell people to send
	hello        string // the greeting word the replies tell people to send
	confirmation string // answer to a greeting
	optOut       string // answer to an opt-out
	hint         string // at most daily answer to anything else
}

// translations lists every supported language; English comes first and is
// the fallback for everything else.
var translations = []translation{
	{
		tag: "en", stop: "STOP", hello: "Hi",
		confirmation: "You are registered with the messaging gateway %[1]s. Reply %[2]s at any time to stop receiving messages.",
		optOut:       "You will no longer receive messages from the gateway %[1]s. Send %[3]s to register again.",
		hint:         "This is the automated messaging gateway %[1]s; nobody reads the messages sent here. Send %[3]s to receive messages, or %[2]s to opt out.",
	},
	{
		tag: "ar", stop: "توقف", hello: "مرحبا",
		confirmation: "تم تسجيلك في بوابة الرسائل \u2066%[1]s\u2069. أرسل «%[2]s» في أي وقت لإيقاف استلام الرسائل.",
		optOut:       "لن تصلك بعد الآن رسائل من البوابة \u2066%[1]s\u2069. أرسل «%[3]s» للتسجيل مرة أخرى.",
		hint:         "هذه بوابة رسائل آلية \u2066%[1]s\u2069، ولا يقرأ أحد الرسائل المرسلة إليها. أرسل «%[3]s» لتلقي الرسائل، أو «%[2]s» لإلغاء الاشتراك.",
	},
	{
		tag: "zh", stop: "退订", hello: "你好",
		confirmation: "您已成功订阅消息网关 %[1]s。如需停止接收消息，可随时回复“%[2]s”。",
		optOut:       "您将不再收到来自网关 %[1]s 的消息。如需重新订阅，请发送“%[3]s”。",
		hint:         "这是自动消息网关 %[1]s，发送到此号码的消息无人阅读。发送“%[3]s”即可接收消息，回复“%[2]s”可退订。",
	},
	{
		tag: "zh-Hant", stop: "退訂", hello: "你好",
		confirmation: "您已成功訂閱訊息閘道 %[1]s。如需停止接收訊息，可隨時回覆「%[2]s」。",
		optOut:       "您將不再收到來自閘道 %[1]s 的訊息。如需重新訂閱，請傳送「%[3]s」。",
		hint:         "這是自動訊息閘道 %[1]s，傳送到此號碼的訊息無人閱讀。傳送「%[3]s」即可接收訊息，回覆「%[2]s」可退訂。",
	},
	{
		tag: "nl", stop: "AFMELDEN", hello: "Hoi",
		confirmation: "Je bent aangemeld bij de berichtengateway %[1]s. Stuur op elk moment %[2]s om geen berichten meer te ontvangen.",
		optOut:       "Je ontvangt geen berichten meer van de gateway %[1]s. Stuur %[3]s om je opnieuw aan te melden.",
		hint:         "Dit is de automatische berichtengateway %[1]s; niemand leest de berichten die hierheen worden gestuurd. Stuur %[3]s om berichten te ontvangen of %[2]s om je af te melden.",
	},
	{
		tag: "fr", stop: "STOP", hello: "Bonjour",
		confirmation: "Vous êtes inscrit à la passerelle de messagerie %[1]s. Répondez %[2]s à tout moment pour ne plus recevoir de messages.",
		optOut:       "Vous ne recevrez plus de messages de la passerelle %[1]s. Envoyez %[3]s pour vous réinscrire.",
		hint:         "Ceci est la passerelle de messagerie automatique %[1]s ; personne ne lit les messages envoyés ici. Envoyez %[3]s pour recevoir des messages, ou %[2]s pour vous désinscrire.",
	},
	{
		tag: "de", stop: "STOPP", hello: "Hallo",
		confirmation: "Sie sind beim Nachrichten-Gateway %[1]s angemeldet. Antworten Sie jederzeit mit %[2]s, um keine Nachrichten mehr zu erhalten.",
		optOut:       "Sie erhalten keine Nachrichten mehr vom Gateway %[1]s. Senden Sie %[3]s, um sich erneut anzumelden.",
		hint:         "Dies ist das automatische Nachrichten-Gateway %[1]s; Nachrichten an diese Nummer liest niemand. Senden Sie %[3]s, um Nachrichten zu erhalten, oder %[2]s, um sich abzumelden.",
	},
	{
		tag: "he", stop: "הסר", hello: "שלום",
		confirmation: "נרשמתם בהצלחה לשער ההודעות \u2066%[1]s\u2069. כדי להפסיק לקבל הודעות, השיבו \"%[2]s\" בכל עת.",
		optOut:       "לא תקבלו עוד הודעות משער ההודעות \u2066%[1]s\u2069. כדי להירשם מחדש, שלחו \"%[3]s\".",
		hint:         "זהו שער הודעות אוטומטי \u2066%[1]s\u2069, ואף אחד לא קורא את ההודעות הנשלחות אליו. שלחו \"%[3]s\" כדי לקבל הודעות, או \"%[2]s\" כדי להסיר את עצמכם.",
	},
	{
		tag: "hi", stop: "रोकें", hello: "नमस्ते",
		confirmation: "आप संदेश गेटवे %[1]s पर पंजीकृत हो गए हैं। संदेश पाना बंद करने के लिए कभी भी \"%[2]s\" लिखकर भेजें।",
		optOut:       "अब आपको गेटवे %[1]s से संदेश नहीं मिलेंगे। दोबारा पंजीकरण के लिए \"%[3]s\" भेजें।",
		hint:         "यह स्वचालित संदेश गेटवे %[1]s है; यहाँ भेजे गए संदेश कोई नहीं पढ़ता। संदेश पाने के लिए \"%[3]s\" भेजें, या बंद करने के लिए \"%[2]s\" भेजें।",
	},
	{
		tag: "id", stop: "BERHENTI", hello: "Halo",
		confirmation: "Anda telah terdaftar di gateway pesan %[1]s. Balas %[2]s kapan saja untuk berhenti menerima pesan.",
		optOut:       "Anda tidak akan lagi menerima pesan dari gateway %[1]s. Kirim %[3]s untuk mendaftar kembali.",
		hint:         "Ini adalah gateway pesan otomatis %[1]s; pesan ke nomor ini tidak dibaca oleh siapa pun. Kirim %[3]s untuk menerima pesan, atau %[2]s untuk berhenti berlangganan.",
	},
	{
		tag: "it", stop: "DISISCRIVI", hello: "Ciao",
		confirmation: "Sei registrato al gateway di messaggistica %[1]s. Rispondi %[2]s in qualsiasi momento per non ricevere più messaggi.",
		optOut:       "Non riceverai più messaggi dal gateway %[1]s. Invia %[3]s per registrarti di nuovo.",
		hint:         "Questo è il gateway di messaggistica automatico %[1]s; nessuno legge i messaggi inviati qui. Invia %[3]s per ricevere messaggi o %[2]s per annullare l'iscrizione.",
	},
	{
		tag: "ja", stop: "ストップ", hello: "こんにちは",
		confirmation: "メッセージゲートウェイ %[1]s への登録が完了しました。配信を停止するには、いつでも「%[2]s」と返信してください。",
		optOut:       "今後、ゲートウェイ %[1]s からメッセージは届きません。再度登録するには「%[3]s」と送信してください。",
		hint:         "こちらは自動メッセージゲートウェイ %[1]s です。この番号宛てのメッセージは誰も読んでいません。メッセージを受け取るには「%[3]s」、配信を停止するには「%[2]s」と送信してください。",
	},
	{
		tag: "pt", stop: "SAIR", hello: "Oi",
		confirmation: "Você está registrado no gateway de mensagens %[1]s. Responda %[2]s a qualquer momento para deixar de receber mensagens.",
		optOut:       "Você não receberá mais mensagens do gateway %[1]s. Envie %[3]s para se registrar novamente.",
		hint:         "Este é o gateway de mensagens automático %[1]s; ninguém lê as mensagens enviadas para cá. Envie %[3]s para receber mensagens ou %[2]s para cancelar.",
	},
	{
		tag: "ru", stop: "СТОП", hello: "Привет",
		confirmation: "Вы подписаны на шлюз сообщений %[1]s. Чтобы больше не получать сообщения, в любой момент ответьте «%[2]s».",
		optOut:       "Вы больше не будете получать сообщения от шлюза %[1]s. Чтобы подписаться снова, отправьте «%[3]s».",
		hint:         "Это автоматический шлюз сообщений %[1]s, сообщения на этот номер никто не читает. Отправьте «%[3]s», чтобы получать сообщения, или «%[2]s», чтобы отписаться.",
	},
	{
		tag: "es", stop: "BAJA", hello: "Hola",
		confirmation: "Te has registrado en la pasarela de mensajes %[1]s. Responde %[2]s en cualquier momento para dejar de recibir mensajes.",
		optOut:       "Ya no recibirás mensajes de la pasarela %[1]s. Envía %[3]s para registrarte de nuevo.",
		hint:         "Esta es la pasarela de mensajes automática %[1]s; nadie lee los mensajes enviados aquí. Envía %[3]s para recibir mensajes o %[2]s para darte de baja.",
	},
	{
		tag: "uk", stop: "ВІДПИСАТИСЯ", hello: "Привіт",
		confirmation: "Ви підписалися на шлюз повідомлень %[1]s. Щоб більше не отримувати повідомлення, будь-коли надішліть «%[2]s».",
		optOut:       "Ви більше не отримуватимете повідомлень від шлюзу %[1]s. Щоб підписатися знову, надішліть «%[3]s».",
		hint:         "Це автоматичний шлюз повідомлень %[1]s, повідомлення на цей номер ніхто не читає. Надішліть «%[3]s», щоб отримувати повідомлення, або «%[2]s», щоб відписатися.",
	},
}
