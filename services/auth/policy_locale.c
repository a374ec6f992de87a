/* policy_locale.c: every built-in profile's SMS template and user-facing messages in each
 * built-in language (English from the seeds, Spanish, Bahasa Indonesia), BCP 47 tags, and the
 * per-language copies of a loaded policy. */

#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const pa_policy_lang_tags[PA_POLICY_N_LANGS] = { "en", "es", "id" };

/* ---- fancy-feathers -------------------------------------------------------------------------- */

/* The messages of seeds/000_df6e54093a78ffc2.txt, verbatim where the seed gives them. */
static const struct pa_policy ff_en = {
	.sms_template
	= "{brand}: Your verification code is {code}.\nIt will expire in {minutes} minutes.",
	.msg_otp_sent
	= "An OTP has been sent to your mobile number. Please enter it below to verify.",
	.msg_subscription_mismatch
	= "The mobile number must match the one used during subscription.",
	.msg_code_invalid        = "Invalid or expired OTP. Please try again.",
	.msg_too_many_attempts   = "Maximum OTP attempts reached. Try again later.",
	.msg_resend_too_soon     = "Please wait before requesting a new OTP.",
	.msg_send_limit          = "Too many OTP requests. Try again later.",
	.msg_not_verified_create = "Please verify your mobile number before creating an account.",
	.msg_account_created     = "Your account has been created successfully. You can now log in "
	                           "using your verified mobile number and password.",
	.msg_login_invalid       = "Invalid mobile number or password.",
	.msg_login_not_verified  = "Please verify your mobile number before logging in.",
	.msg_login_locked        = "Too many failed login attempts. Try again later.",
	.msg_password_policy     = "Password must be at least 8 characters and include 1 capital "
	                           "letter, 1 number and 1 special character.",
	.msg_password_mismatch   = "Passwords do not match.",
	.msg_registered
	= "An OTP has been sent to your mobile number. Please enter it below to verify.",
	.msg_verified      = "OTP verified successfully!",
	.msg_reset_started = "An OTP has been sent to your mobile number. Please enter it below to "
	                     "reset your password.",
	.msg_reset_done    = "Your password has been reset. You can now log in using your verified "
	                     "mobile number and password.",
	.msg_sms_unavailable = "SMS verification is not available right now.",
	.msg_invalid_email   = "Please enter a valid email address.",
	.msg_invalid_phone   = "Please enter a valid mobile number.",
	.msg_rate_limited_ip = "Too many requests. Try again later.",
	.msg_account_exists  = "An account with this mobile number already exists. Please log in.",
	.msg_session_invalid = "Your session has expired. Please log in again.",
	.msg_challenge_required = "Please complete the security check to receive your OTP.",
	.msg_destination_paused
	= "We cannot send OTPs to this number right now. Please try again later.",
	.msg_send_budget = "We cannot send OTPs right now. Please try again later.",
	.msg_challenge_unavailable
	= "The security check is not available right now. Please try again shortly.",
	.msg_channel_not_allowed = "Please choose another way to receive your OTP.",
	.msg_second_factor
	= "An OTP has been sent to your mobile number. Please enter it to finish logging in.",
	.msg_verify_unavailable
	= "We could not check your OTP right now. Please try again shortly.",
};

static const struct pa_policy ff_es = {
	.sms_template = "{brand}: tu código de verificación es {code}.\nCaduca en {minutes} min.",
	.msg_otp_sent = "Hemos enviado un código OTP a tu número de móvil. Introdúcelo a "
	                "continuación para verificarlo.",
	.msg_subscription_mismatch
	= "El número de móvil debe coincidir con el que usaste al suscribirte.",
	.msg_code_invalid = "El código OTP no es válido o ha caducado. Inténtalo de nuevo.",
	.msg_too_many_attempts
	= "Has alcanzado el número máximo de intentos de OTP. Inténtalo más tarde.",
	.msg_resend_too_soon     = "Espera un momento antes de solicitar un nuevo código OTP.",
	.msg_send_limit          = "Demasiadas solicitudes de código OTP. Inténtalo más tarde.",
	.msg_not_verified_create = "Verifica tu número de móvil antes de crear una cuenta.",
	.msg_account_created = "Tu cuenta se ha creado correctamente. Ya puedes iniciar sesión con "
	                       "tu número de móvil verificado y tu contraseña.",
	.msg_login_invalid   = "Número de móvil o contraseña incorrectos.",
	.msg_login_not_verified = "Verifica tu número de móvil antes de iniciar sesión.",
	.msg_login_locked
	= "Demasiados intentos fallidos de inicio de sesión. Inténtalo más tarde.",
	.msg_password_policy = "La contraseña debe tener al menos 8 caracteres e incluir 1 letra "
	                       "mayúscula, 1 número y 1 carácter especial.",
	.msg_password_mismatch = "Las contraseñas no coinciden.",
	.msg_registered    = "Hemos enviado un código OTP a tu número de móvil. Introdúcelo a "
	                     "continuación para verificarlo.",
	.msg_verified      = "¡Código OTP verificado correctamente!",
	.msg_reset_started = "Hemos enviado un código OTP a tu número de móvil. Introdúcelo a "
	                     "continuación para restablecer tu contraseña.",
	.msg_reset_done    = "Tu contraseña se ha restablecido. Ya puedes iniciar sesión con tu "
	                     "número de móvil verificado y tu contraseña.",
	.msg_sms_unavailable = "La verificación por SMS no está disponible en este momento.",
	.msg_invalid_email   = "Introduce una dirección de correo electrónico válida.",
	.msg_invalid_phone   = "Introduce un número de móvil válido.",
	.msg_rate_limited_ip = "Demasiadas solicitudes. Inténtalo más tarde.",
	.msg_account_exists  = "Ya existe una cuenta con este número de móvil. Inicia sesión.",
	.msg_session_invalid = "Tu sesión ha caducado. Vuelve a iniciar sesión.",
	.msg_challenge_required
	= "Completa la verificación de seguridad para recibir tu código OTP.",
	.msg_destination_paused
	= "En este momento no podemos enviar códigos OTP a este número. Inténtalo más tarde.",
	.msg_send_budget = "En este momento no podemos enviar códigos OTP. Inténtalo más tarde.",
	.msg_challenge_unavailable = "La verificación de seguridad no está disponible en este "
	                             "momento. Inténtalo de nuevo en breve.",
	.msg_channel_not_allowed   = "Elige otra forma de recibir tu código OTP.",
	.msg_second_factor = "Hemos enviado un código OTP a tu número de móvil. Introdúcelo para "
	                     "terminar de iniciar sesión.",
	.msg_verify_unavailable
	= "No hemos podido comprobar tu código OTP en este momento. Inténtalo de nuevo en breve.",
};

static const struct pa_policy ff_id = {
	.sms_template = "{brand}: Kode verifikasi Anda adalah {code}.\nKode ini akan kedaluwarsa "
	                "dalam {minutes} menit.",
	.msg_otp_sent
	= "OTP telah dikirim ke nomor ponsel Anda. Silakan masukkan di bawah ini untuk verifikasi.",
	.msg_subscription_mismatch
	= "Nomor ponsel harus sama dengan nomor yang digunakan saat berlangganan.",
	.msg_code_invalid        = "OTP tidak valid atau sudah kedaluwarsa. Silakan coba lagi.",
	.msg_too_many_attempts   = "Batas maksimum percobaan OTP telah tercapai. Coba lagi nanti.",
	.msg_resend_too_soon     = "Harap tunggu sebelum meminta OTP baru.",
	.msg_send_limit          = "Terlalu banyak permintaan OTP. Coba lagi nanti.",
	.msg_not_verified_create = "Harap verifikasi nomor ponsel Anda sebelum membuat akun.",
	.msg_account_created = "Akun Anda berhasil dibuat. Sekarang Anda dapat masuk menggunakan "
	                       "nomor ponsel terverifikasi dan kata sandi Anda.",
	.msg_login_invalid   = "Nomor ponsel atau kata sandi salah.",
	.msg_login_not_verified = "Harap verifikasi nomor ponsel Anda sebelum masuk.",
	.msg_login_locked       = "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti.",
	.msg_password_policy    = "Kata sandi harus terdiri dari minimal 8 karakter dan berisi 1 "
	                          "huruf kapital, 1 angka, dan 1 karakter khusus.",
	.msg_password_mismatch  = "Kata sandi tidak cocok.",
	.msg_registered
	= "OTP telah dikirim ke nomor ponsel Anda. Silakan masukkan di bawah ini untuk verifikasi.",
	.msg_verified        = "OTP berhasil diverifikasi!",
	.msg_reset_started   = "OTP telah dikirim ke nomor ponsel Anda. Silakan masukkan di bawah "
	                       "ini untuk mengatur ulang kata sandi Anda.",
	.msg_reset_done      = "Kata sandi Anda telah diatur ulang. Sekarang Anda dapat masuk "
	                       "menggunakan nomor ponsel terverifikasi dan kata sandi Anda.",
	.msg_sms_unavailable = "Verifikasi SMS sedang tidak tersedia saat ini.",
	.msg_invalid_email   = "Harap masukkan alamat email yang valid.",
	.msg_invalid_phone   = "Harap masukkan nomor ponsel yang valid.",
	.msg_rate_limited_ip = "Terlalu banyak permintaan. Coba lagi nanti.",
	.msg_account_exists  = "Akun dengan nomor ponsel ini sudah ada. Silakan masuk.",
	.msg_session_invalid = "Sesi Anda telah berakhir. Silakan masuk kembali.",
	.msg_challenge_required = "Harap selesaikan pemeriksaan keamanan untuk menerima OTP Anda.",
	.msg_destination_paused
	= "Saat ini kami tidak dapat mengirim OTP ke nomor ini. Silakan coba lagi nanti.",
	.msg_send_budget = "Saat ini kami tidak dapat mengirim OTP. Silakan coba lagi nanti.",
	.msg_challenge_unavailable
	= "Pemeriksaan keamanan sedang tidak tersedia. Silakan coba lagi sebentar lagi.",
	.msg_channel_not_allowed = "Silakan pilih cara lain untuk menerima OTP Anda.",
	.msg_second_factor       = "OTP telah dikirim ke nomor ponsel Anda. Silakan masukkan untuk "
	                           "menyelesaikan proses masuk.",
	.msg_verify_unavailable
	= "Kami tidak dapat memeriksa OTP Anda saat ini. Silakan coba lagi sebentar lagi.",
};

/* ---- lawnflow -------------------------------------------------------------------------------- */

/* The messages of seeds/004_0e0a7ea5adc4b8ab.txt: none says whether an email or phone exists, in
 * any language. */
static const struct pa_policy lf_en = {
	.sms_template
	= "Your {brand} verification code is {code}. It expires in {minutes} minutes.",
	.msg_otp_sent = "If your number can receive texts, a new verification code is on its way.",
	.msg_subscription_mismatch = "This phone number can't be used to sign up here.",
	.msg_code_invalid          = "We couldn't verify that code. Check it and try again, or "
	                             "request a new one.",
	.msg_too_many_attempts     = "Too many attempts. Please request a new code later.",
	.msg_resend_too_soon       = "Please wait a moment before requesting another code.",
	.msg_send_limit            = "Too many codes have been requested. Please try again later.",
	.msg_not_verified_create   = "Please verify your phone number first.",
	.msg_account_created       = "Your account has been created.",
	.msg_login_invalid         = "Invalid email, phone number or password.",
	.msg_login_not_verified    = "Please verify your phone number before logging in.",
	.msg_login_locked          = "Too many failed sign-in attempts. Please try again later.",
	.msg_password_policy       = "Password must be at least 8 characters.",
	.msg_password_mismatch     = "Passwords do not match.",
	.msg_registered
	= "If your details are valid, we've sent a verification code to your phone.",
	.msg_verified        = "Your phone number has been verified.",
	.msg_reset_started   = "If an account matches, we've sent a reset code to its phone.",
	.msg_reset_done      = "Your password has been reset. You can now sign in.",
	.msg_sms_unavailable = "SMS verification is not available right now.",
	.msg_invalid_email   = "Please enter a valid email address.",
	.msg_invalid_phone   = "Please enter a valid mobile phone number.",
	.msg_rate_limited_ip = "Too many requests. Please try again later.",
	.msg_account_exists  = "An account with this phone number already exists. Please sign in.",
	.msg_session_invalid = "Your session has expired. Please sign in again.",
	.msg_challenge_required = "Please complete the security check so we can text you a code.",
	.msg_destination_paused
	= "We can't text codes to this number right now. Please try again later.",
	.msg_send_budget = "We can't text codes right now. Please try again later.",
	.msg_challenge_unavailable
	= "The security check isn't available right now. Please try again in a moment.",
	.msg_channel_not_allowed = "We can't send codes that way. Please choose another option.",
	.msg_second_factor       = "Enter the code we sent to your phone to finish signing in.",
	.msg_verify_unavailable
	= "We couldn't check your code right now. Please try again in a moment.",
};

static const struct pa_policy lf_es = {
	.sms_template = "Tu código de verificación de {brand} es {code}. Caduca en {minutes} min.",
	.msg_otp_sent
	= "Si tu número puede recibir SMS, te llegará un nuevo código de verificación en breve.",
	.msg_subscription_mismatch
	= "Este número de teléfono no se puede usar para registrarse aquí.",
	.msg_code_invalid = "No hemos podido verificar ese código. Revísalo e inténtalo de nuevo, "
	                    "o solicita uno nuevo.",
	.msg_too_many_attempts   = "Demasiados intentos. Solicita un código nuevo más tarde.",
	.msg_resend_too_soon     = "Espera un momento antes de solicitar otro código.",
	.msg_send_limit          = "Se han solicitado demasiados códigos. Inténtalo más tarde.",
	.msg_not_verified_create = "Primero verifica tu número de teléfono.",
	.msg_account_created     = "Tu cuenta se ha creado.",
	.msg_login_invalid = "Correo electrónico, número de teléfono o contraseña incorrectos.",
	.msg_login_not_verified = "Verifica tu número de teléfono antes de iniciar sesión.",
	.msg_login_locked
	= "Demasiados intentos fallidos de inicio de sesión. Inténtalo más tarde.",
	.msg_password_policy   = "La contraseña debe tener al menos 8 caracteres.",
	.msg_password_mismatch = "Las contraseñas no coinciden.",
	.msg_registered
	= "Si tus datos son válidos, te hemos enviado un código de verificación al teléfono.",
	.msg_verified        = "Tu número de teléfono se ha verificado.",
	.msg_reset_started   = "Si hay una cuenta que coincida, hemos enviado un código de "
	                       "restablecimiento a su teléfono.",
	.msg_reset_done      = "Tu contraseña se ha restablecido. Ya puedes iniciar sesión.",
	.msg_sms_unavailable = "La verificación por SMS no está disponible en este momento.",
	.msg_invalid_email   = "Introduce una dirección de correo electrónico válida.",
	.msg_invalid_phone   = "Introduce un número de teléfono móvil válido.",
	.msg_rate_limited_ip = "Demasiadas solicitudes. Inténtalo más tarde.",
	.msg_account_exists = "Ya existe una cuenta con este número de teléfono. Inicia sesión.",
	.msg_session_invalid = "Tu sesión ha caducado. Vuelve a iniciar sesión.",
	.msg_challenge_required
	= "Completa la verificación de seguridad para que podamos enviarte un código por SMS.",
	.msg_destination_paused
	= "En este momento no podemos enviar códigos por SMS a este número. Inténtalo más tarde.",
	.msg_send_budget
	= "En este momento no podemos enviar códigos por SMS. Inténtalo más tarde.",
	.msg_challenge_unavailable = "La verificación de seguridad no está disponible en este "
	                             "momento. Inténtalo de nuevo en unos instantes.",
	.msg_channel_not_allowed   = "No podemos enviar códigos por esa vía. Elige otra opción.",
	.msg_second_factor
	= "Introduce el código que hemos enviado a tu teléfono para terminar de iniciar sesión.",
	.msg_verify_unavailable = "No hemos podido comprobar tu código en este momento. Inténtalo "
	                          "de nuevo en unos instantes.",
};

static const struct pa_policy lf_id = {
	.sms_template
	= "Kode verifikasi {brand} Anda adalah {code}. Berlaku selama {minutes} menit.",
	.msg_otp_sent = "Jika nomor Anda dapat menerima SMS, kode verifikasi baru sedang dikirim.",
	.msg_subscription_mismatch
	= "Nomor telepon ini tidak dapat digunakan untuk mendaftar di sini.",
	.msg_code_invalid = "Kami tidak dapat memverifikasi kode tersebut. Periksa dan coba lagi, "
	                    "atau minta kode baru.",
	.msg_too_many_attempts   = "Terlalu banyak percobaan. Silakan minta kode baru nanti.",
	.msg_resend_too_soon     = "Harap tunggu sebentar sebelum meminta kode lain.",
	.msg_send_limit          = "Terlalu banyak kode yang diminta. Silakan coba lagi nanti.",
	.msg_not_verified_create = "Harap verifikasi nomor telepon Anda terlebih dahulu.",
	.msg_account_created     = "Akun Anda telah dibuat.",
	.msg_login_invalid       = "Email, nomor telepon, atau kata sandi salah.",
	.msg_login_not_verified  = "Harap verifikasi nomor telepon Anda sebelum masuk.",
	.msg_login_locked = "Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi nanti.",
	.msg_password_policy   = "Kata sandi harus terdiri dari minimal 8 karakter.",
	.msg_password_mismatch = "Kata sandi tidak cocok.",
	.msg_registered
	= "Jika data Anda valid, kami telah mengirim kode verifikasi ke ponsel Anda.",
	.msg_verified = "Nomor telepon Anda telah diverifikasi.",
	.msg_reset_started
	= "Jika ada akun yang cocok, kami telah mengirim kode atur ulang ke ponselnya.",
	.msg_reset_done      = "Kata sandi Anda telah diatur ulang. Sekarang Anda dapat masuk.",
	.msg_sms_unavailable = "Verifikasi SMS sedang tidak tersedia saat ini.",
	.msg_invalid_email   = "Harap masukkan alamat email yang valid.",
	.msg_invalid_phone   = "Harap masukkan nomor ponsel yang valid.",
	.msg_rate_limited_ip = "Terlalu banyak permintaan. Silakan coba lagi nanti.",
	.msg_account_exists  = "Akun dengan nomor telepon ini sudah ada. Silakan masuk.",
	.msg_session_invalid = "Sesi Anda telah berakhir. Silakan masuk kembali.",
	.msg_challenge_required
	= "Harap selesaikan pemeriksaan keamanan agar kami dapat mengirimkan kode melalui SMS.",
	.msg_destination_paused = "Saat ini kami tidak dapat mengirim kode melalui SMS ke nomor "
	                          "ini. Silakan coba lagi nanti.",
	.msg_send_budget
	= "Saat ini kami tidak dapat mengirim kode melalui SMS. Silakan coba lagi nanti.",
	.msg_challenge_unavailable
	= "Pemeriksaan keamanan sedang tidak tersedia. Silakan coba lagi sebentar lagi.",
	.msg_channel_not_allowed
	= "Kami tidak dapat mengirim kode melalui cara tersebut. Silakan pilih opsi lain.",
	.msg_second_factor
	= "Masukkan kode yang kami kirim ke ponsel Anda untuk menyelesaikan proses masuk.",
	.msg_verify_unavailable
	= "Kami tidak dapat memeriksa kode Anda saat ini. Silakan coba lagi sebentar lagi.",
};

/* Each profile's languages, in the order of pa_policy_lang_tags. */
static const struct {
	const char             *profile;
	const struct pa_policy *lang[PA_POLICY_N_LANGS];
} texts[] = {
	{ "fancy-feathers", { &ff_en, &ff_es, &ff_id } },
	{ "lawnflow", { &lf_en, &lf_es, &lf_id } },
};

const struct pa_policy *
pa_policy_texts(const char *profile, const char *lang)
{
	int l = pa_policy_tag_lang(lang);

	if (profile == NULL || l < 0)
		return NULL;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (strcmp(texts[i].profile, profile) == 0)
			return texts[i].lang[l];
	return NULL;
}

/* ---- SMS templates --------------------------------------------------------------------------- */

enum placeholder { PH_NONE, PH_CODE, PH_BRAND, PH_MINUTES };

static enum placeholder
placeholder_at(const char *s, size_t *len)
{
	static const struct {
		const char      *text;
		enum placeholder ph;
	} known[] = { { "{code}", PH_CODE }, { "{brand}", PH_BRAND }, { "{minutes}", PH_MINUTES } };

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(known[i].text);

		if (strncmp(s, known[i].text, n) == 0) {
			*len = n;
			return known[i].ph;
		}
	}
	return PH_NONE;
}

/* Renders into out when out is non-NULL (the caller made sure it fits); returns the length. */
static size_t
render(const struct pa_policy *p, const char *code, char *out)
{
	char        minutes[16];
	size_t      n = 0;
	const char *s = p->sms_template;

	(void) snprintf(minutes, sizeof minutes, "%d", p->code_ttl_s / 60);
	while (*s != '\0') {
		const char *sub = NULL;
		size_t      len = 1;

		if (*s == '{') {
			switch (placeholder_at(s, &len)) {
			case PH_CODE:
				sub = code;
				break;
			case PH_BRAND:
				sub = p->brand;
				break;
			case PH_MINUTES:
				sub = minutes;
				break;
			case PH_NONE:
				len = 1;
				break;
			}
		}
		if (sub != NULL) {
			size_t k = strlen(sub);

			if (out != NULL)
				memcpy(out + n, sub, k);
			n += k;
		} else {
			if (out != NULL)
				out[n] = *s;
			n++;
		}
		s += len;
	}
	if (out != NULL)
		out[n] = '\0';
	return n;
}

pa_err
pa_policy_render_sms(const struct pa_policy *p, const char *code, char *out, size_t outsz)
{
	if (render(p, code, NULL) >= outsz)
		return PA_ETOOBIG;
	(void) render(p, code, out);
	return PA_OK;
}

pa_err
pa_policy_check_template(const struct pa_policy *p, char *err, size_t errsz)
{
	static const char longest_code[] = "0000000000";
	bool              has_code       = false;
	size_t            len;
	/* The longer of the two codes a body can carry (a reset code may be the longer). */
	int digits = p->code_length > p->reset_code_length ? p->code_length : p->reset_code_length;
	const char *code = longest_code + (10 - digits);

	for (const char *s = p->sms_template; *s != '\0'; s++) {
		if (*s != '{')
			continue;
		switch (placeholder_at(s, &len)) {
		case PH_CODE:
			has_code = true;
			break;
		case PH_BRAND:
		case PH_MINUTES:
			break;
		case PH_NONE:
			pa_errf(err, errsz,
			    "PHONEAUTH_SMS_TEMPLATE may use only the placeholders {code}, {brand} "
			    "and "
			    "{minutes} (and no other \"{\")");
			return PA_EINVAL;
		}
	}
	if (!has_code) {
		pa_errf(err, errsz, "PHONEAUTH_SMS_TEMPLATE must contain {code}");
		return PA_EINVAL;
	}
	if (render(p, code, NULL) >= PA_SMS_BODY_MAX) {
		pa_errf(err, errsz,
		    "PHONEAUTH_SMS_TEMPLATE renders to more than %d bytes (with PHONEAUTH_BRAND)",
		    PA_SMS_BODY_MAX - 1);
		return PA_EINVAL;
	}
	/* The built-in templates of the other languages, with this brand and code length, fit too,
	 * so that pa_policy_langs_load cannot fail on them. */
	for (int i = 0; i < PA_POLICY_N_LANGS; i++) {
		struct pa_policy t = *p;

		t.sms_template = pa_policy_texts(p->name, pa_policy_lang_tags[i])->sms_template;
		if (render(&t, code, NULL) >= PA_SMS_BODY_MAX) {
			pa_errf(err, errsz,
			    "PHONEAUTH_BRAND is too long: the %s SMS renders to more than %d bytes",
			    pa_policy_lang_tags[i], PA_SMS_BODY_MAX - 1);
			return PA_EINVAL;
		}
	}
	return PA_OK;
}

/* ---- tags ------------------------------------------------------------------------------------ */

bool
pa_policy_tag_canon(const char *tag, char out[PA_LOCALE_LEN])
{
	size_t len, n = 0;
	int    k = 0;

	if (tag == NULL || (len = strlen(tag)) == 0 || len >= PA_LOCALE_LEN)
		return false;
	for (const char *s = tag; k == 0 || *s++ == '-'; k++) {
		size_t w
		    = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		bool alpha = true;

		for (size_t i = 0; i < w; i++)
			alpha = alpha && isalpha((unsigned char) s[i]);
		/* The language: 2 or 3 letters; then at most three subtags of 1 to 8. */
		if (k == 0 ? (w < 2 || w > 3 || !alpha) : (k > 3 || w < 1 || w > 8))
			return false;
		for (size_t i = 0; i < w; i++) {
			unsigned char c = (unsigned char) s[i];

			if (k > 0 && alpha && (w == 2 || (w == 4 && i == 0)))
				out[n++] = (char) toupper(c);
			else
				out[n++] = (char) tolower(c);
		}
		s += w;
		if (*s == '\0') {
			out[n] = '\0';
			return true;
		}
		out[n++] = '-';
	}
	return false;
}

int
pa_policy_tag_lang(const char *tag)
{
	size_t n;

	if (tag == NULL)
		return -1;
	/* "es_MX" as POSIX locales write it reads as Spanish too. */
	n = strcspn(tag, "-_");
	for (int i = 0; i < PA_POLICY_N_LANGS; i++)
		if (strlen(pa_policy_lang_tags[i]) == n
		    && strncasecmp(tag, pa_policy_lang_tags[i], n) == 0)
			return i;
	return -1;
}

/* ---- a loaded policy's languages ------------------------------------------------------------- */

pa_err
pa_policy_langs_load(const struct pa_policy *base, struct pa_policy_langs *out)
{
	struct pa_policy_langs l   = { 0 };
	int                    own = pa_policy_tag_lang(base->locale);
	pa_err                 rv;

	l.lang = calloc(PA_POLICY_N_LANGS, sizeof *l.lang);
	if (l.lang == NULL)
		return PA_ENOMEM;
	for (int i = 0; i < PA_POLICY_N_LANGS; i++) {
		if (i == own)
			continue;
		/* Counted before the copy, so that a half-built one is freed too. */
		l.n++;
		rv = pa_policy_copy_lang(&l.lang[l.n - 1], base,
		    pa_policy_texts(base->name, pa_policy_lang_tags[i]), pa_policy_lang_tags[i]);
		if (rv != PA_OK) {
			pa_policy_langs_free(&l);
			return rv;
		}
	}
	*out = l;
	return PA_OK;
}

void
pa_policy_langs_free(struct pa_policy_langs *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		pa_policy_free(&l->lang[i]);
	free(l->lang);
	l->lang = NULL;
	l->n    = 0;
}

/* The length of tag's language subtag. */
static size_t
lang_len(const char *tag)
{
	return strcspn(tag, "-_");
}

const struct pa_policy *
pa_policy_lang(const struct pa_policy *base, const struct pa_policy_langs *l, const char *bcp47)
{
	size_t n = l != NULL ? l->n : 0;

	if (bcp47 == NULL || bcp47[0] == '\0')
		return base;
	/* First the exact tag, then the language alone: "es-MX" is base when base is "es-MX",
	 * and the Spanish copy ("es") otherwise. */
	if (strcasecmp(bcp47, base->locale) == 0)
		return base;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(bcp47, l->lang[i].locale) == 0)
			return &l->lang[i];
	if (lang_len(bcp47) == lang_len(base->locale)
	    && strncasecmp(bcp47, base->locale, lang_len(bcp47)) == 0)
		return base;
	for (size_t i = 0; i < n; i++)
		if (lang_len(bcp47) == lang_len(l->lang[i].locale)
		    && strncasecmp(bcp47, l->lang[i].locale, lang_len(bcp47)) == 0)
			return &l->lang[i];
	return base;
}
