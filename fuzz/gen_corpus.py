#!/usr/bin/env python3
# gen_corpus.py: writes the seed corpus of each fuzz target under fuzz/corpus/<name>/: real
# encoded envelopes and requests (a small protobuf encoder, so no protobuf package is needed),
# Twilio callback bodies and JSON replies as Twilio sends them, and phone numbers as people type
# them. Rerun after changing a .proto; files the fuzzers found (crash-*, ...) are left alone.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# The request methods in .proto order: fuzz_requests picks one by its first byte.
AUTH = ["LinkSubscription", "StartSignup", "ResendCode", "VerifyCode", "CreateAccount",
        "RegisterAccount", "Login", "ValidateSession", "Logout", "StartPasswordReset",
        "CompletePasswordReset", "Health"]
ADMIN = ["ListUsers", "GetUser", "ListAuditEvents", "ListMessages", "Stats", "VerifyAudit"]
METHODS = AUTH + ADMIN

UUID = "7d444840-9dc0-11d1-b245-5ffdce74fad2"
TOKEN = "q5Rk3QnS1yJw0mW2b3Xn8pV4tLr6uZc9aE7fHd1gKjM"
SID = "SM" + "0123456789abcdef" * 2
CFG_TOKEN = "0123456789abcdef" * 2  # the client/admin token fuzz_envelope configures
ACCT = "AC" + "fedcba9876543210" * 2


def varint(n):
    n &= (1 << 64) - 1  # negative int64s are ten bytes, as protobuf writes them
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """One field: ints as varints, str/bytes as length-delimited, bool as 0/1."""
    if isinstance(value, bool):
        return varint(num << 3) + varint(int(value))
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def msg(*fields):
    return b"".join(field(n, v) for n, v in fields)


def envelope(method, payload=b"", request_id="r-1", deadline=0, caller=None):
    fields = [(1, method), (2, request_id)]
    if deadline:
        fields.append((3, deadline))
    if caller is not None:
        fields.append((4, caller))
    if payload:
        fields.append((5, payload))
    return msg(*fields)


def write(name, files):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for fname, data in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def requests():
    r = {
        "LinkSubscription": msg((1, "sub_123"), (2, "+1 201-555-0123")),
        "StartSignup": msg((1, "sub_123"), (2, "(201) 555-0123")),
        "ResendCode": msg((1, UUID)),
        "VerifyCode": msg((1, UUID), (2, "123456")),
        "CreateAccount": msg((1, TOKEN), (2, "Str0ng!pass"), (3, "Str0ng!pass"),
                             (4, "ada@example.com")),
        "RegisterAccount": msg((1, "ada@example.com"), (2, "correct horse"), (3, "+447400123456")),
        "Login": msg((1, "+12015550123"), (2, "Str0ng!pass")),
        "ValidateSession": msg((1, TOKEN)),
        "Logout": msg((1, TOKEN)),
        "StartPasswordReset": msg((1, "ada@example.com")),
        "CompletePasswordReset": msg((1, TOKEN), (2, "N3w!password"), (3, "N3w!password")),
        "Health": b"",
        "ListUsers": msg((1, 1), (2, "+1201"), (3, 1700000000000), (7, 50),
                         (8, "1700000000000000/" + UUID)),
        "GetUser": msg((1, "+12015550123")),
        "ListAuditEvents": msg((1, "login"), (2, UUID), (3, "+12015550123"), (4, UUID),
                               (5, 1700000000000), (7, True), (8, 20), (9, "12345"),
                               (10, "follow-1")),
        "ListMessages": msg((1, "delivered"), (2, SID), (5, 10), (6, "99")),
        "Stats": msg((1, 86400)),
        "VerifyAudit": msg((1, "ab" * 32)),
    }
    files = {"%02d-%s" % (i, m): bytes([i]) + r[m] for i, m in enumerate(METHODS)}
    files["04-CreateAccount-long-password"] = bytes([4]) + msg((2, "A1!" + "x" * 200),
                                                              (3, "mismatch"), (4, "no-at-sign"))
    files["06-Login-email"] = bytes([6]) + msg((1, "ada@example.com"), (2, "pw"))
    return files


def envelopes():
    caller = msg((1, "203.0.113.9"), (2, "Mozilla/5.0 (X11; Linux x86_64)"), (3, CFG_TOKEN))
    admin = msg((1, "2001:db8::1"), (4, CFG_TOKEN))
    wrong = msg((3, "c" * 32), (4, "a" * 31))
    signup = msg((1, "sub_123"), (2, "+12015550123"))
    return {
        "health": envelope("/phoneauth.v1.Auth/Health"),
        "start-signup": envelope("/phoneauth.v1.Auth/StartSignup", signup, "req-42",
                                 4102444800000, caller),
        "verify-code": envelope("/phoneauth.v1.Auth/VerifyCode", msg((1, UUID), (2, "0042")),
                                "req-43", 0, caller),
        "deadline-passed": envelope("/phoneauth.v1.Auth/Login", msg((1, "+12015550123")), "old",
                                    1000),
        "deadline-negative": envelope("/phoneauth.v1.Auth/Health", b"", "neg", -5),
        "unknown-method": envelope("/phoneauth.v1.Auth/DropTables", b"\x0a\x00", "x"),
        "no-slash": envelope("phoneauth.v1.Auth/Health"),
        "admin-list-users": envelope("/phoneauth.v1.Admin/ListUsers",
                                     msg((1, 2), (7, 500), (2, "ada%_")), "adm-1", 0, admin),
        "admin-verify-audit": envelope("/phoneauth.v1.Admin/VerifyAudit", msg((1, "00" * 32)),
                                       "adm-2", 4102444800000, admin),
        "bad-payload": envelope("/phoneauth.v1.Auth/StartSignup", b"\x0a\xff\xff", "bp"),
        "wrong-tokens": envelope("/phoneauth.v1.Admin/Stats", msg((1, 3600)), "wt", 0, wrong),
    }


def form(pairs):
    from urllib.parse import quote_plus
    return "&".join(quote_plus(k) + "=" + quote_plus(v) for k, v in pairs)


def callbacks():
    base = [("SmsSid", SID), ("SmsStatus", "delivered"), ("MessageStatus", "delivered"),
            ("To", "+15558675310"), ("MessageSid", SID), ("AccountSid", ACCT),
            ("From", "+15017122661"), ("ApiVersion", "2010-04-01")]
    return {
        "delivered": form(base),
        "undelivered": form([("MessageSid", SID), ("MessageStatus", "undelivered"),
                             ("ErrorCode", "30003"), ("AccountSid", ACCT),
                             ("RawDlrDoneDate", "2401011200"), ("To", "+447400123456")]),
        "sent-mms": form([("MessageSid", "MM" + SID[2:]), ("SmsStatus", "sent"),
                          ("AccountSid", ACCT), ("NumMedia", "1")]),
        "duplicates": "a=1&a=1&b=&=c&&d&e=%41%2b+x",
        "bad-escape": "MessageSid=%zz&MessageStatus=%0",
        "nul-escape": "MessageSid=SM%00&x=y",
    }


def replies():
    msg_json = ('{"account_sid":"%s","api_version":"2010-04-01","body":"Your code is 1234",'
                '"date_created":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api",'
                '"error_code":null,"error_message":null,"from":"+15017122661",'
                '"messaging_service_sid":"MG%s","num_media":"0","num_segments":"1","price":null,'
                '"price_unit":"USD","sid":"%s","status":"%%s","subresource_uris":{"media":'
                '"/2010-04-01/Accounts/%s/Messages/%s/Media.json"},"to":"+15558675310",'
                '"uri":"/2010-04-01/Accounts/%s/Messages/%s.json"}'
                % (ACCT, "0" * 32, SID, ACCT, SID, ACCT, SID))
    err = '{"code": %d, "message": "%s", "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}'
    # byte 0: index of the HTTP status in fuzz_twilio.c's table; byte 1: attempts so far.
    s201, s400, s401, s404, s429, s500, s503 = 2, 7, 8, 10, 15, 17, 19
    return {
        "201-queued": bytes([s201, 1]) + (msg_json % "queued").encode(),
        "201-no-sid": bytes([s201, 1]) + b'{"status":"queued","sid":null}',
        "400-invalid-to": bytes([s400, 1]) + (err % (21211, "The 'To' number +1555 is not a valid phone number.", 21211, 400)).encode(),
        "401-auth": bytes([s401, 2]) + (err % (20003, "Authenticate", 20003, 401)).encode(),
        "404": bytes([s404, 1]) + (err % (20404, "The requested resource was not found", 20404, 404)).encode(),
        "429-retry-after": bytes([s429, 1]) + b"5\n" + (err % (20429, "Too Many Requests", 20429, 429)).encode(),
        "429-http-date": bytes([s429, 3]) + b"Wed, 21 Oct 2015 07:28:00 GMT\n" + (err % (20429, "Too Many Requests", 20429, 429)).encode(),
        "500-html": bytes([s500, 4]) + b"<html><body>Internal Server Error</body></html>",
        "503-empty": bytes([s503, 5]) + b"  30\n",
        "no-answer": bytes([0, 1]),
        "get-delivered": bytes([s201, 1]) + (msg_json % "delivered").encode(),
        "get-undelivered": bytes([s201, 1]) + b'{"sid":"' + SID.encode() + b'","status":"undelivered","error_code":"30003"}',
        "not-object": bytes([s201, 1]) + b'["status","queued"]',
    }


def phones():
    return {
        "us-e164": "+12015550123",
        "us-national": "(201) 555-0123",
        "us-dots": "201.555.0123",
        "us-spaces": "  +1 201 555 0123\t",
        "us-tollfree": "+1 800 555 0199",
        "us-premium": "1-900-555-0100",
        "gb-mobile": "+44 7400 123456\nGB\nGB,US",
        "gb-national": "07400 123456\nGB\nGB",
        "ie-mobile": "+353 86 123 4567\nie\nIE, gb",
        "de-mobile": "+49 1512 3456789\nDE\nde,at,ch",
        "ru-mobile": "+7 916 123-45-67\nRU\nRU",
        "non-geographic": "+800 1234 5678",
        "tel-uri": "tel:+12015550123",
        "extension": "+1 201 555 0123 x12",
        "letters": "1-800-FLOWERS",
        "bad-region": "2015550123\nZZ\nUS,,CA",
    }


def main():
    write("requests", requests())
    write("envelope", envelopes())
    write("twsig", callbacks())
    write("twilio", replies())
    write("phone", phones())


if __name__ == "__main__":
    main()
