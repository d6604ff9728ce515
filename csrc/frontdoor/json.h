/* A JSON reader for state.json, in place (no tree is built): validate the whole
 * document once as Python's json module would accept it, then look values up by key.
 * Only the front door uses it: the Python layer reads state.json with its own json. */
#ifndef OCIRUNTIME_FRONTDOOR_JSON_H
#define OCIRUNTIME_FRONTDOOR_JSON_H
#include <stddef.h>

struct jv {
    const char *s;   /* the value's first byte ('{', '"', digit, ...); NULL: absent */
    const char *e;   /* one past its last byte */
};

enum { JSON_OK = 0, JSON_INVALID = -1, JSON_TOO_DEEP = -2 };

/* The whole of [s, e) is one JSON value, surrounded by whitespace only, valid UTF-8,
 * nested at most max_depth deep: JSON_OK, JSON_INVALID, or JSON_TOO_DEEP. *value: its span. */
int json_parse(const char *s, const char *e, int max_depth, struct jv *value);
/* Iterate an object's members: *cursor starts as obj.s; 1 and the next (key, value),
 * 0 at the end. The key span includes its quotes. */
int json_next_member(struct jv obj, const char **cursor, struct jv *key, struct jv *value);
/* The value of a key's last occurrence (as Python's dict keeps it) in an object;
 * 0 if absent or obj is not an object. key is compared with the raw spelling. */
int json_get(struct jv obj, const char *key, struct jv *value);
/* Iterate an array: *cursor starts as arr.s; 1 and the next element, 0 at the end. */
int json_next_element(struct jv arr, const char **cursor, struct jv *value);
int json_is(struct jv v, char first);   /* v present and starts with first ('{', '[', '"', 't', 'n') */
/* A string whose raw spelling is exactly what Python's json (ensure_ascii) writes for
 * its value: printable ASCII, short escapes, \u00XX only where needed. Such a span
 * can be copied into output verbatim. plain: also no escape at all (a usable path). */
int json_canonical_string(struct jv v, int plain);
/* A non-negative integer without fraction or exponent, at most max; -1 otherwise. */
long long json_uint(struct jv v, long long max);
/* Same raw key (with quotes) as a C string key. */
int json_key_is(struct jv key, const char *name);
#endif
