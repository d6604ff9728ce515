/* See json.h. Written for state.json as Python's json module reads it (strict
 * strings, NaN/Infinity accepted, UTF-8 checked first), so that the front door never
 * serves a state the Python layer would call corrupt, and the reverse. */
#include "json.h"
#include <string.h>

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF), as bytes.decode(). */
static int valid_utf8(const unsigned char *p, const unsigned char *e)
{
    while (p < e) {
        unsigned c = *p;
        int n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) { p++; continue; }
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else return 0;
        if (e - p <= n || p[1] < lo || p[1] > hi)
            return 0;
        for (int i = 2; i <= n; i++)
            if (p[i] < 0x80 || p[i] > 0xBF)
                return 0;
        p += n + 1;
    }
    return 1;
}

static int hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char) *p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (++p >= e)
                return NULL;
            if (*p == 'u') {
                if (e - p < 5 || !hex(p[1]) || !hex(p[2]) || !hex(p[3]) || !hex(p[4]))
                    return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || !*p) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *digits(const char *p, const char *e)
{
    const char *start = p;
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    return p > start ? p : NULL;
}

static const char *skip_number(const char *p, const char *e)
{
    if (p < e && *p == '-')
        p++;
    if (e - p >= 8 && !memcmp(p, "Infinity", 8))
        return p + 8;
    if (p < e && *p == '0')
        p++;
    else if (!(p = digits(p, e)))
        return NULL;
    if (p < e && *p == '.' && !(p = digits(p + 1, e)))
        return NULL;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (!(p = digits(p, e)))
            return NULL;
    }
    return p;
}

static const char *word(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t) (e - p) >= n && !memcmp(p, w, n) ? p + n : NULL;
}

static const char *skip_value(const char *p, const char *e, int depth, int *too_deep)
{
    if (p >= e)
        return NULL;
    switch (*p) {
    case '"':
        return skip_string(p, e);
    case 't': return word(p, e, "true");
    case 'f': return word(p, e, "false");
    case 'n': return word(p, e, "null");
    case 'N': return word(p, e, "NaN");
    case 'I': return word(p, e, "Infinity");
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        if (depth <= 0) {
            *too_deep = 1;
            return NULL;
        }
        p = ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= e || *p != '"' || !(p = skip_string(p, e)))
                    return NULL;
                p = ws(p, e);
                if (p >= e || *p != ':')
                    return NULL;
                p = ws(p + 1, e);
            }
            if (!(p = skip_value(p, e, depth - 1, too_deep)))
                return NULL;
            p = ws(p, e);
            if (p < e && *p == close)
                return p + 1;
            if (p >= e || *p != ',')
                return NULL;
            p = ws(p + 1, e);
        }
    }
    default:
        return skip_number(p, e);
    }
}

int json_parse(const char *s, const char *e, int max_depth, struct jv *value)
{
    int too_deep = 0;
    const char *p;
    if (!valid_utf8((const unsigned char *) s, (const unsigned char *) e))
        return JSON_INVALID;
    value->s = ws(s, e);
    p = skip_value(value->s, e, max_depth, &too_deep);
    if (!p)
        return too_deep ? JSON_TOO_DEEP : JSON_INVALID;
    value->e = p;
    return ws(p, e) == e ? JSON_OK : JSON_INVALID;
}

/* Within a validated document: the end of the value at p. */
static const char *end_of(const char *p, const char *e)
{
    int too_deep = 0;
    return skip_value(p, e, 1 << 30, &too_deep);
}

int json_next_member(struct jv obj, const char **cursor, struct jv *key, struct jv *value)
{
    const char *p = ws(*cursor + 1, obj.e);  /* past '{' or ',' */
    if (p >= obj.e || *p != '"')
        return 0;
    key->s = p;
    key->e = end_of(p, obj.e);
    p = ws(ws(key->e, obj.e) + 1, obj.e);  /* past ':' */
    value->s = p;
    value->e = end_of(p, obj.e);
    *cursor = ws(value->e, obj.e);  /* at ',' or '}' */
    return 1;
}

int json_next_element(struct jv arr, const char **cursor, struct jv *value)
{
    const char *p = ws(*cursor + 1, arr.e);
    if (p >= arr.e || *p == ']')
        return 0;
    value->s = p;
    value->e = end_of(p, arr.e);
    *cursor = ws(value->e, arr.e);
    return 1;
}

int json_key_is(struct jv key, const char *name)
{
    size_t n = strlen(name);
    return (size_t) (key.e - key.s) == n + 2 && !memcmp(key.s + 1, name, n);
}

int json_get(struct jv obj, const char *name, struct jv *value)
{
    const char *cursor = obj.s;
    struct jv k, v;
    int found = 0;
    if (!json_is(obj, '{'))
        return 0;
    while (json_next_member(obj, &cursor, &k, &v))
        if (json_key_is(k, name)) {
            *value = v;
            found = 1;
        }
    return found;
}

int json_is(struct jv v, char first)
{
    return v.s && v.s < v.e && *v.s == first;
}

int json_canonical_string(struct jv v, int plain)
{
    const char *p;
    if (!json_is(v, '"'))
        return 0;
    for (p = v.s + 1; p < v.e - 1; p++) {
        unsigned char c = (unsigned char) *p;
        if (c < 0x20 || c > 0x7e)
            return 0;
        if (c != '\\')
            continue;
        if (plain)
            return 0;
        p++;
        if (*p == 'u') {
            /* Python writes \u00XX for control characters without a short form, \uXXXX
             * (lower-case hex) for everything past ASCII */
            unsigned long code = 0;
            for (int i = 1; i <= 4; i++) {
                char h = p[i];
                if (!hex(h) || (h >= 'A' && h <= 'F'))
                    return 0;
                code = code * 16 + (unsigned long) (h <= '9' ? h - '0' : h - 'a' + 10);
            }
            if ((code >= 0x20 && code < 0x7f) || code == '\b' || code == '\f' || code == '\n'
                || code == '\r' || code == '\t')
                return 0;
            p += 4;
        } else if (!strchr("\"\\bfnrt", *p)) {
            return 0;  /* \/ is never written */
        }
    }
    return 1;
}

long long json_uint(struct jv v, long long max)
{
    long long n = 0;
    const char *p;
    if (!v.s || v.s >= v.e || (v.e - v.s > 1 && *v.s == '0'))
        return -1;
    for (p = v.s; p < v.e; p++) {
        if (*p < '0' || *p > '9' || n > max / 10)
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n <= max ? n : -1;
}
