/* smsenc.h: how an SMS body travels and what it costs: GSM-7 or UCS-2, its length in that
 * encoding's units and the segments it takes (each segment is billed as one SMS). */
#ifndef PHONEAUTH_COMMON_SMSENC_H
#define PHONEAUTH_COMMON_SMSENC_H

/* One message fits this many units; a longer one is split into segments that each lose room to
 * the concatenation header (UDH). */
#define PA_SMS_GSM7_SINGLE 160 /* septets */
#define PA_SMS_GSM7_SEGMENT 153
#define PA_SMS_UCS2_SINGLE 70 /* UTF-16 code units */
#define PA_SMS_UCS2_SEGMENT 67

struct pa_sms_size {
	const char *encoding; /* "GSM-7" or "UCS-2" (static strings) */
	int         units; /* GSM-7: septets; UCS-2: UTF-16 code units */
	int         segments; /* at least 1 */
};

/* Measures the UTF-8 body utf8 (NULL reads as ""). GSM-7 when every character is in the GSM
 * 03.38 default alphabet or its extension table; an extension character (form feed ^ { } \ [ ~ ]
 * | €) takes 2 septets. Anything else makes the whole body UCS-2, where a character outside the
 * Basic Multilingual Plane (an emoji) takes 2 units. Up to PA_SMS_GSM7_SINGLE septets or
 * PA_SMS_UCS2_SINGLE units is one segment; a longer body is packed into segments of
 * PA_SMS_GSM7_SEGMENT or PA_SMS_UCS2_SEGMENT units, and, as handsets and Twilio do, an escape
 * pair or a surrogate pair is never split across two segments (so it can take one more segment
 * than units / per-segment rounded up). An empty body is one segment of 0 units.
 *
 * Invalid UTF-8 (a stray continuation byte, an overlong or truncated sequence, a surrogate,
 * beyond U+10FFFF) cannot be sent as GSM-7: the body is then measured as UCS-2, each byte that
 * does not start a valid sequence counting as one unit (the U+FFFD it would be replaced with).
 * This is a best effort: what a carrier does with such a body is not defined. Thread-safe. */
void pa_sms_measure(const char *utf8, struct pa_sms_size *out);

#endif
