/*
 * Hashed word and char_wb n-gram counts for a batch of texts, as CSR arrays.
 *
 * The compiled twin of the numpy reference in hashing.py (`_occurrences` and
 * `_count_chunk`): the same tokens, the same polynomial hash with the same length salt
 * and splitmix64 finaliser, the same columns and counts, row by row. The reference
 * computes each n-gram's hash from prefix sums; this file sums the same polynomial
 * directly, which is the same number modulo 2**64 (BASE is odd, so BASE**-s exists and
 * (H[e] - H[s]) * BASE**-s = sum_k (c[s+k] + 1) * BASE**k).
 *
 * Python lowercases the texts first and supplies the character classes (a table for
 * the BMP and a function for the rest), so both paths split words identically by
 * construction. tests/classifier/test_native.py checks every shared-data row.
 *
 * Built by setup.py as an optional extension: without a compiler the package installs
 * and hashing.py uses the reference.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CLASS_SPACE 1
#define CLASS_WORD 2
#define MAX_CHAR_N 8

typedef struct {
    uint64_t base, pair, mix1, mix2, salt;
    uint64_t mask, n_features;
    int word_lo, word_hi, char_lo, char_hi;
    uint64_t powers[MAX_CHAR_N];
} Params;

/* A growable array of fixed-size items. */
typedef struct {
    char *data;
    size_t len, cap, item;
} Buffer;

/* -1 when out of memory, with no Python error set: it may run without the GIL. */
static int buffer_reserve(Buffer *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) {
        if (cap > (SIZE_MAX / 2) / b->item) return -1;
        cap *= 2;
    }
    char *data = realloc(b->data, cap * b->item);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline uint64_t mix(const Params *p, uint64_t h) {
    h = (h ^ (h >> 30)) * p->mix1;
    h = (h ^ (h >> 27)) * p->mix2;
    return h ^ (h >> 31);
}

/* Hash of a span of `n` characters whose polynomial sum is `sum`. */
static inline uint64_t span_hash(const Params *p, uint64_t sum, Py_ssize_t n) {
    return mix(p, sum + (uint64_t)n * p->salt);
}

/* Sort `keys` (each < 2**bits) by LSD radix, 11 bits a pass; `tmp` is as large. */
static uint32_t *radix_sort(uint32_t *keys, uint32_t *tmp, size_t n, int bits) {
    if (n < 48) {  /* insertion sort: short rows are common (tweets, names) */
        for (size_t i = 1; i < n; i++) {
            uint32_t k = keys[i];
            size_t j = i;
            while (j > 0 && keys[j - 1] > k) { keys[j] = keys[j - 1]; j--; }
            keys[j] = k;
        }
        return keys;
    }
    size_t counts[2048];
    for (int shift = 0; shift < bits; shift += 11) {
        memset(counts, 0, sizeof counts);
        for (size_t i = 0; i < n; i++) counts[(keys[i] >> shift) & 2047]++;
        size_t total = 0;
        for (int d = 0; d < 2048; d++) { size_t c = counts[d]; counts[d] = total; total += c; }
        for (size_t i = 0; i < n; i++) tmp[counts[(keys[i] >> shift) & 2047]++] = keys[i];
        uint32_t *swap = keys; keys = tmp; tmp = swap;
    }
    return keys;
}

/* Scratch space reused across the texts of one call. */
typedef struct {
    Buffer codes;    /* uint32: the text's code points */
    Buffer classes;  /* uint8 */
    Buffer padded;   /* uint32: one whitespace-separated word with a space each side */
    Buffer cols;     /* uint32: every n-gram occurrence's column */
    Buffer tmp;      /* uint32: radix sort's second array */
} Scratch;

static void scratch_init(Scratch *s) {
    memset(s, 0, sizeof *s);
    s->codes.item = s->padded.item = s->cols.item = s->tmp.item = sizeof(uint32_t);
    s->classes.item = 1;
}

static void scratch_free(Scratch *s) {
    free(s->codes.data); free(s->classes.data); free(s->padded.data);
    free(s->cols.data); free(s->tmp.data);
}

static int classify(PyObject *text, const unsigned char *table, PyObject *astral,
                    Scratch *s, Py_ssize_t n) {
    if (buffer_reserve(&s->codes, (size_t)n) || buffer_reserve(&s->classes, (size_t)n)) {
        PyErr_NoMemory();
        return -1;
    }
    uint32_t *codes = (uint32_t *)s->codes.data;
    uint8_t *classes = (uint8_t *)s->classes.data;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        codes[i] = (uint32_t)c;
        if (c < 0x10000) {
            classes[i] = table[c];
            continue;
        }
        /* Rare (emoji, historic scripts): ask the reference's own classifier. */
        PyObject *r = PyObject_CallFunction(astral, "I", (unsigned int)c);
        if (!r) return -1;
        long v = PyLong_AsLong(r);
        Py_DECREF(r);
        if (v == -1 && PyErr_Occurred()) return -1;
        classes[i] = (uint8_t)v;
    }
    return 0;
}

static inline int push(Buffer *cols, uint32_t col) {
    if (cols->len == cols->cap && buffer_reserve(cols, 1)) return -1;
    ((uint32_t *)cols->data)[cols->len++] = col;
    return 0;
}

/* Word 1-2 grams: runs of 2+ word characters, and each two consecutive such runs. */
static int word_grams(const Params *p, Scratch *s, Py_ssize_t n) {
    const uint32_t *codes = (const uint32_t *)s->codes.data;
    const uint8_t *classes = (const uint8_t *)s->classes.data;
    int unigrams = p->word_lo <= 1 && 1 <= p->word_hi, pairs = p->word_hi >= 2;
    int have_prev = 0;
    uint64_t prev = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        if (classes[i] != CLASS_WORD) { i++; continue; }
        Py_ssize_t start = i;
        uint64_t sum = 0, power = 1;
        while (i < n && classes[i] == CLASS_WORD) {
            sum += ((uint64_t)codes[i] + 1) * power;
            power *= p->base;
            i++;
        }
        if (i - start < 2) continue;
        uint64_t h = span_hash(p, sum, i - start);
        if (unigrams && push(&s->cols, (uint32_t)(h & p->mask))) return -1;
        if (pairs && have_prev && push(&s->cols, (uint32_t)(mix(p, prev * p->pair + h) & p->mask)))
            return -1;
        prev = h;
        have_prev = 1;
    }
    return 0;
}

/* char_wb n-grams: inside each whitespace-separated word padded by one space each side;
 * a padded word shorter than the smallest n counts once, whole. */
static int char_grams(const Params *p, Scratch *s, Py_ssize_t n) {
    const uint32_t *codes = (const uint32_t *)s->codes.data;
    const uint8_t *classes = (const uint8_t *)s->classes.data;
    Py_ssize_t i = 0;
    while (i < n) {
        if (classes[i] == CLASS_SPACE) { i++; continue; }
        Py_ssize_t start = i;
        while (i < n && classes[i] != CLASS_SPACE) i++;
        Py_ssize_t len = i - start + 2;
        if (buffer_reserve(&s->padded, (size_t)len)
                || buffer_reserve(&s->cols, (size_t)len * (size_t)(p->char_hi - p->char_lo + 1) + 1))
            return -1;
        uint32_t *w = (uint32_t *)s->padded.data;
        w[0] = 32;
        memcpy(w + 1, codes + start, (size_t)(i - start) * sizeof(uint32_t));
        w[len - 1] = 32;
        uint32_t *out = (uint32_t *)s->cols.data + s->cols.len;
        if (len < p->char_lo) {
            uint64_t sum = 0;
            for (Py_ssize_t k = 0; k < len; k++) sum += ((uint64_t)w[k] + 1) * p->powers[k];
            *out++ = (uint32_t)((span_hash(p, sum, len) & p->mask) + p->n_features);
        } else {
            for (Py_ssize_t a = 0; a + p->char_lo <= len; a++) {
                Py_ssize_t top = len - a < p->char_hi ? len - a : p->char_hi;
                uint64_t sum = 0;
                for (Py_ssize_t k = 0; k < top; k++) {
                    sum += ((uint64_t)w[a + k] + 1) * p->powers[k];
                    if (k + 1 >= p->char_lo)
                        *out++ = (uint32_t)((span_hash(p, sum, k + 1) & p->mask) + p->n_features);
                }
            }
        }
        s->cols.len = (size_t)(out - (uint32_t *)s->cols.data);
    }
    return 0;
}

/* The sorted unique columns of the n-grams in `s->codes` and their counts, appended to
 * the CSR arrays. Touches no Python object: runs without the GIL. -1: out of memory. */
static int count_codes(const Params *p, Scratch *s, Py_ssize_t n, Buffer *indices,
                       Buffer *counts, int bits) {
    s->cols.len = 0;
    if (word_grams(p, s, n) || char_grams(p, s, n)) return -1;
    size_t m = s->cols.len;
    if (!m) return 0;
    if (buffer_reserve(&s->tmp, m) || buffer_reserve(indices, m) || buffer_reserve(counts, m))
        return -1;
    uint32_t *sorted = radix_sort((uint32_t *)s->cols.data, (uint32_t *)s->tmp.data, m, bits);
    int32_t *idx = (int32_t *)indices->data + indices->len;
    float *cnt = (float *)counts->data + counts->len;
    size_t u = 0;
    for (size_t k = 0; k < m;) {
        size_t j = k + 1;
        while (j < m && sorted[j] == sorted[k]) j++;
        idx[u] = (int32_t)sorted[k];
        cnt[u] = (float)(j - k);
        u++;
        k = j;
    }
    indices->len += u;
    counts->len += u;
    return 0;
}

/* One text: its classes with the GIL (the astral lookup is Python), the rest without,
 * so other threads of a threaded server run meanwhile. */
static int count_text(PyObject *text, const Params *p, const unsigned char *table,
                      PyObject *astral, Scratch *s, Buffer *indices, Buffer *counts,
                      int bits) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (classify(text, table, astral, s, n)) return -1;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = count_codes(p, s, n, indices, counts, bits);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *as_bytearray(const Buffer *b) {
    return PyByteArray_FromStringAndSize(b->data ? b->data : "", (Py_ssize_t)(b->len * b->item));
}

/* The arguments both entry points share, checked (a Python error set and -1 if one is
 * wrong), and the hashing parameters made from them. */
static int make_params(Params *p, const Py_buffer *classes, PyObject *astral,
                       unsigned long long n_features, int word_lo, int word_hi, int char_lo,
                       int char_hi, unsigned long long base, unsigned long long pair,
                       unsigned long long mix1, unsigned long long mix2,
                       unsigned long long salt) {
    if (classes->len != 0x10000) {
        PyErr_SetString(PyExc_ValueError, "classes must be 65536 bytes");
        return -1;
    }
    if (!PyCallable_Check(astral)) {
        PyErr_SetString(PyExc_TypeError, "astral must be callable");
        return -1;
    }
    if (n_features == 0 || (n_features & (n_features - 1)) || n_features > (1ULL << 30)) {
        PyErr_SetString(PyExc_ValueError, "n_features must be a power of two up to 2**30");
        return -1;
    }
    if (word_lo < 1 || word_hi > 2 || word_lo > word_hi
            || char_lo < 1 || char_hi > MAX_CHAR_N || char_lo > char_hi) {
        PyErr_SetString(PyExc_ValueError, "n-gram ranges out of bounds");
        return -1;
    }
    Params made = {base, pair, mix1, mix2, salt, n_features - 1, n_features,
                   word_lo, word_hi, char_lo, char_hi, {0}};
    made.powers[0] = 1;
    for (int k = 1; k < MAX_CHAR_N; k++) made.powers[k] = made.powers[k - 1] * base;
    *p = made;
    return 0;
}

PyDoc_STRVAR(count_rows_doc,
"count_rows(texts, n_features, word_lo, word_hi, char_lo, char_hi, constants, classes, astral)\n"
"--\n\n"
"CSR arrays (indptr int64, indices int32, counts float32, as bytearrays) of the hashed\n"
"n-gram counts of every text in the list `texts` (already lowercased). `constants` is\n"
"(base, pair, mix1, mix2, length_salt); `classes` is 65536 bytes (0 other, 1 space,\n"
"2 word character) for the BMP; `astral(code_point)` gives the class of the rest.");

static PyObject *count_rows(PyObject *self, PyObject *args) {
    PyObject *texts, *astral;
    unsigned long long n_features, base, pair, mix1, mix2, salt;
    int word_lo, word_hi, char_lo, char_hi;
    Py_buffer classes;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!Kiiii(KKKKK)y*O:count_rows", &PyList_Type, &texts,
                          &n_features, &word_lo, &word_hi, &char_lo, &char_hi,
                          &base, &pair, &mix1, &mix2, &salt, &classes, &astral))
        return NULL;
    PyObject *result = NULL;
    Scratch s;
    scratch_init(&s);
    Buffer indptr = {NULL, 0, 0, sizeof(int64_t)};
    Buffer indices = {NULL, 0, 0, sizeof(int32_t)};
    Buffer counts = {NULL, 0, 0, sizeof(float)};
    Params p;
    if (make_params(&p, &classes, astral, n_features, word_lo, word_hi, char_lo, char_hi,
                    base, pair, mix1, mix2, salt))
        goto done;
    int bits = 1;
    while ((1ULL << bits) < 2 * n_features) bits++;

    Py_ssize_t rows = PyList_GET_SIZE(texts);
    if (buffer_reserve(&indptr, (size_t)rows + 1)) {
        PyErr_NoMemory();
        goto done;
    }
    ((int64_t *)indptr.data)[indptr.len++] = 0;
    for (Py_ssize_t r = 0; r < rows; r++) {
        PyObject *text = PyList_GET_ITEM(texts, r);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is not a str", r);
            goto done;
        }
        Py_INCREF(text);  /* the astral callback could change the list */
        int failed = count_text(text, &p, (const unsigned char *)classes.buf, astral, &s,
                                &indices, &counts, bits);
        Py_DECREF(text);
        if (failed) goto done;
        ((int64_t *)indptr.data)[indptr.len++] = (int64_t)indices.len;
        if (PyList_GET_SIZE(texts) != rows) {
            PyErr_SetString(PyExc_RuntimeError, "texts changed during count_rows");
            goto done;
        }
    }
    PyObject *a = as_bytearray(&indptr), *b = as_bytearray(&indices), *c = as_bytearray(&counts);
    if (a && b && c) result = PyTuple_Pack(3, a, b, c);
    Py_XDECREF(a); Py_XDECREF(b); Py_XDECREF(c);
done:
    PyBuffer_Release(&classes);
    scratch_free(&s);
    free(indptr.data); free(indices.data); free(counts.data);
    return result;
}

/* Appends one int64 triple (column, start, end) to the three buffers; -1: no memory. */
static int push3(Buffer *cols, Buffer *starts, Buffer *ends, int64_t c, int64_t a, int64_t b) {
    if (buffer_reserve(cols, 1) || buffer_reserve(starts, 1) || buffer_reserve(ends, 1))
        return -1;
    ((int64_t *)cols->data)[cols->len++] = c;
    ((int64_t *)starts->data)[starts->len++] = a;
    ((int64_t *)ends->data)[ends->len++] = b;
    return 0;
}

/* Every n-gram occurrence of one text with its span, in the order of the reference's
 * `_occurrences(..., with_spans=True)`: word unigrams, word pairs, then the character
 * n-grams one length at a time over the whole text (for the shortest length, padded
 * words shorter than it follow the regular windows). A character n-gram's span is the
 * window's characters within its word (the padding spaces map to the word's letters).
 * Touches no Python object. -1: out of memory. */
static int spans_codes(const Params *p, Scratch *s, Py_ssize_t n, Buffer *cols,
                       Buffer *starts, Buffer *ends) {
    const uint32_t *codes = (const uint32_t *)s->codes.data;
    const uint8_t *classes = (const uint8_t *)s->classes.data;
    /* words: tokens of 2+ word characters */
    int unigrams = p->word_lo <= 1 && 1 <= p->word_hi;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 && !unigrams) continue;
        if (pass == 1 && p->word_hi < 2) continue;
        int have_prev = 0;
        uint64_t prev = 0;
        Py_ssize_t prev_start = 0, i = 0;
        while (i < n) {
            if (classes[i] != CLASS_WORD) { i++; continue; }
            Py_ssize_t start = i;
            uint64_t sum = 0, power = 1;
            while (i < n && classes[i] == CLASS_WORD) {
                sum += ((uint64_t)codes[i] + 1) * power;
                power *= p->base;
                i++;
            }
            if (i - start < 2) continue;
            uint64_t h = span_hash(p, sum, i - start);
            if (pass == 0 && push3(cols, starts, ends, (int64_t)(h & p->mask), start, i))
                return -1;
            if (pass == 1 && have_prev
                    && push3(cols, starts, ends, (int64_t)(mix(p, prev * p->pair + h) & p->mask),
                             prev_start, i))
                return -1;
            prev = h;
            prev_start = start;
            have_prev = 1;
        }
    }
    /* characters: each whitespace-separated word padded by one space each side */
    for (int len_n = p->char_lo; len_n <= p->char_hi; len_n++) {
        for (int shorts = 0; shorts < (len_n == p->char_lo ? 2 : 1); shorts++) {
            Py_ssize_t i = 0;
            while (i < n) {
                if (classes[i] == CLASS_SPACE) { i++; continue; }
                Py_ssize_t a = i;
                while (i < n && classes[i] != CLASS_SPACE) i++;
                Py_ssize_t b = i, len = b - a + 2;
                if (buffer_reserve(&s->padded, (size_t)len)) return -1;
                uint32_t *w = (uint32_t *)s->padded.data;
                w[0] = 32;
                memcpy(w + 1, codes + a, (size_t)(b - a) * sizeof(uint32_t));
                w[len - 1] = 32;
                if (shorts) {  /* a padded word shorter than the shortest n, whole */
                    if (len >= p->char_lo) continue;
                    uint64_t sum = 0;
                    for (Py_ssize_t k = 0; k < len; k++) sum += ((uint64_t)w[k] + 1) * p->powers[k];
                    Py_ssize_t last = a - 1 + len_n < b ? a - 1 + len_n : b;
                    if (push3(cols, starts, ends,
                              (int64_t)((span_hash(p, sum, len) & p->mask) + p->n_features),
                              a, last))
                        return -1;
                    continue;
                }
                for (Py_ssize_t at = 0; at + len_n <= len; at++) {
                    uint64_t sum = 0;
                    for (Py_ssize_t k = 0; k < len_n; k++)
                        sum += ((uint64_t)w[at + k] + 1) * p->powers[k];
                    Py_ssize_t inside = at - 1;  /* the window's start within the word */
                    Py_ssize_t first = a + (inside > 0 ? inside : 0);
                    Py_ssize_t last = a + inside + len_n < b ? a + inside + len_n : b;
                    if (push3(cols, starts, ends,
                              (int64_t)((span_hash(p, sum, len_n) & p->mask) + p->n_features),
                              first, last))
                        return -1;
                }
            }
        }
    }
    return 0;
}

PyDoc_STRVAR(gram_spans_doc,
"gram_spans(text, n_features, word_lo, word_hi, char_lo, char_hi, constants, classes, astral)\n"
"--\n\n"
"(columns, starts, ends) as int64 bytearrays: every hashed n-gram occurrence of `text`\n"
"(already lowercased) and its span, in the order of hashing.py's `_occurrences`.");

static PyObject *gram_spans(PyObject *self, PyObject *args) {
    PyObject *text, *astral;
    unsigned long long n_features, base, pair, mix1, mix2, salt;
    int word_lo, word_hi, char_lo, char_hi;
    Py_buffer classes;
    (void)self;
    if (!PyArg_ParseTuple(args, "UKiiii(KKKKK)y*O:gram_spans", &text,
                          &n_features, &word_lo, &word_hi, &char_lo, &char_hi,
                          &base, &pair, &mix1, &mix2, &salt, &classes, &astral))
        return NULL;
    PyObject *result = NULL;
    Scratch s;
    scratch_init(&s);
    Buffer cols = {NULL, 0, 0, sizeof(int64_t)};
    Buffer starts = {NULL, 0, 0, sizeof(int64_t)};
    Buffer ends = {NULL, 0, 0, sizeof(int64_t)};
    Params p;
    if (make_params(&p, &classes, astral, n_features, word_lo, word_hi, char_lo, char_hi,
                    base, pair, mix1, mix2, salt))
        goto done;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (classify(text, (const unsigned char *)classes.buf, astral, &s, n)) goto done;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = spans_codes(&p, &s, n, &cols, &starts, &ends);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    PyObject *a = as_bytearray(&cols), *b = as_bytearray(&starts), *c = as_bytearray(&ends);
    if (a && b && c) result = PyTuple_Pack(3, a, b, c);
    Py_XDECREF(a); Py_XDECREF(b); Py_XDECREF(c);
done:
    PyBuffer_Release(&classes);
    scratch_free(&s);
    free(cols.data); free(starts.data); free(ends.data);
    return result;
}

static PyMethodDef methods[] = {
    {"count_rows", count_rows, METH_VARARGS, count_rows_doc},
    {"gram_spans", gram_spans, METH_VARARGS, gram_spans_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ngrams",
    "Compiled hashed n-gram counts (see moderator/classifier/hashing.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ngrams(void) { return PyModule_Create(&module); }
