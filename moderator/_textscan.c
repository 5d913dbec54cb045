/*
 * The normaliser's cheap pre-checks over one text, compiled: moderator/_scan.py.
 *
 * Each function answers what the numpy reference in _scan.py (ArrayScan) answers for
 * the same text, from the same tables: the character classes of moderator/_chars.py
 * (uint16 per BMP code point, one slot for every astral one) and the letter-joining
 * gate's three tables of moderator/gates.py (one byte per code point, bit 1 a split
 * character, 2 a separator, 4 a character the scan's look-behind refuses). Python hands
 * the tables over once (`configure`). On comments of a few hundred characters the
 * reference's cost is numpy's per-call overhead, not the work; here each check is one
 * pass. tests/test_scan.py compares the two on generated texts and shared-data rows.
 *
 * Built by setup.py as an optional extension: without a compiler the package installs
 * and _scan.py uses the reference.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define ASTRAL 0x10000
#define GATE_SPLIT 1
#define GATE_SEPARATOR 2
#define GATE_STOP 4

static PyObject *classes_obj, *gate_obj;  /* the bytes objects, kept alive */
static const uint16_t *classes;           /* ASTRAL + 1 entries */
static const uint8_t *gate;               /* ASTRAL + 1 entries */
static uint16_t mark, letter, digit_bit, symbol, ascii_letter, plain_cyr, cyrillic, lookalike,
    token;

static inline Py_UCS4 capped(Py_UCS4 c) { return c < ASTRAL ? c : ASTRAL; }

static int ready(void) {
    if (classes) return 1;
    PyErr_SetString(PyExc_RuntimeError, "_textscan.configure() was not called");
    return 0;
}

static int check_text(PyObject *text) {
    if (PyUnicode_Check(text)) return 1;
    PyErr_SetString(PyExc_TypeError, "text must be a str");
    return 0;
}

PyDoc_STRVAR(configure_doc,
"configure(classes, gate, bits)\n--\n\n"
"Keep the class table (uint16, 65537 entries, native byte order), the gate table (one\n"
"byte per entry) and the class bits (mark, letter, digit, symbol, ascii_letter,\n"
"plain_cyr, cyrillic, lookalike, token) for the other functions.");

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *c, *g;
    unsigned int b[9];
    (void)self;
    if (!PyArg_ParseTuple(args, "SS(IIIIIIIII):configure", &c, &g, &b[0], &b[1], &b[2],
                          &b[3], &b[4], &b[5], &b[6], &b[7], &b[8]))
        return NULL;
    if (PyBytes_GET_SIZE(c) != 2 * (ASTRAL + 1) || PyBytes_GET_SIZE(g) != ASTRAL + 1) {
        PyErr_SetString(PyExc_ValueError, "tables must have 65537 entries");
        return NULL;
    }
    Py_INCREF(c);
    Py_INCREF(g);
    Py_XDECREF(classes_obj);
    Py_XDECREF(gate_obj);
    classes_obj = c;
    gate_obj = g;
    classes = (const uint16_t *)PyBytes_AS_STRING(c);
    gate = (const uint8_t *)PyBytes_AS_STRING(g);
    mark = (uint16_t)b[0]; letter = (uint16_t)b[1]; digit_bit = (uint16_t)b[2];
    symbol = (uint16_t)b[3]; ascii_letter = (uint16_t)b[4]; plain_cyr = (uint16_t)b[5];
    cyrillic = (uint16_t)b[6]; lookalike = (uint16_t)b[7]; token = (uint16_t)b[8];
    Py_RETURN_NONE;
}

PyDoc_STRVAR(bits_doc, "bits(text)\n--\n\nThe class bits of all characters of `text`, or-ed.");

static PyObject *bits(PyObject *self, PyObject *text) {
    (void)self;
    if (!ready() || !check_text(text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    unsigned int all = 0;
    for (Py_ssize_t i = 0; i < n; i++) all |= classes[capped(PyUnicode_READ(kind, data, i))];
    return PyLong_FromUnsignedLong(all);
}

PyDoc_STRVAR(positions_doc,
"positions(text, mask)\n--\n\nIndices of the characters whose class has a bit of `mask`.");

static PyObject *positions(PyObject *self, PyObject *args) {
    PyObject *text;
    unsigned int want;
    (void)self;
    if (!PyArg_ParseTuple(args, "UI:positions", &text, &want) || !ready()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!(classes[capped(PyUnicode_READ(kind, data, i))] & want)) continue;
        PyObject *at = PyLong_FromSsize_t(i);
        if (!at || PyList_Append(out, at)) {
            Py_XDECREF(at);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(at);
    }
    return out;
}

PyDoc_STRVAR(may_join_doc,
"may_join(text)\n--\n\n"
"gates.may_join for the classes of `text`: False when the letter-joining scan cannot\n"
"match, True when it may, None (no opinion) when a mark or an astral character is in it.");

static PyObject *may_join(PyObject *self, PyObject *text) {
    (void)self;
    if (!ready() || !check_text(text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ASTRAL || (classes[c] & mark)) Py_RETURN_NONE;
    }
    if (n < 5) Py_RETURN_FALSE;
    /* g[i]: the gate bits of character i. The scan needs i, i + gap, i + 2 * gap with
     * `first`, `inner` and `last` there, as gates.may_join builds them. */
    for (Py_ssize_t gap = 2; gap <= 6 && 2 * gap < n; gap++) {
        for (Py_ssize_t i = 0; i + 2 * gap < n; i++) {
            uint8_t a = gate[PyUnicode_READ(kind, data, i)];
            if (!(a & GATE_SPLIT) || !(gate[PyUnicode_READ(kind, data, i + 1)] & GATE_SEPARATOR))
                continue;  /* first: a split character with a separator after it */
            if (i > 0 && (gate[PyUnicode_READ(kind, data, i - 1)] & GATE_STOP)) continue;
            Py_ssize_t j = i + gap, k = i + 2 * gap;
            uint8_t b = gate[PyUnicode_READ(kind, data, j)];
            if (!(b & GATE_SPLIT) || !(gate[PyUnicode_READ(kind, data, j - 1)] & GATE_SEPARATOR)
                    || !(gate[PyUnicode_READ(kind, data, j + 1)] & GATE_SEPARATOR))
                continue;  /* inner: separators on both sides */
            if ((gate[PyUnicode_READ(kind, data, k)] & GATE_SPLIT)
                    && (gate[PyUnicode_READ(kind, data, k - 1)] & GATE_SEPARATOR))
                Py_RETURN_TRUE;  /* last: a separator before it */
        }
    }
    Py_RETURN_FALSE;
}

PyDoc_STRVAR(fold_spans_doc,
"fold_spans(text)\n--\n\n"
"The (start, end) of each token the word folds look at, in the reference's order.");

static PyObject *fold_spans(PyObject *self, PyObject *text) {
    (void)self;
    if (!ready() || !check_text(text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    /* One pass: tokens are runs of TOKEN characters; a hit is a character with a
     * trigger, and it chooses the last token that starts at or before it. A hit before
     * every token start chooses index -1, which numpy reads as the last token. */
    Py_ssize_t tokens = 0, last_chosen = -2, tok_start = -1;
    int wrap = 0;  /* a hit before the first token start */
    uint16_t prev = 0, cur = n ? classes[capped(PyUnicode_READ(kind, data, 0))] : 0;
    uint16_t leet = digit_bit | symbol, lat = ascii_letter;
    Py_ssize_t run_start = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint16_t next = i + 1 < n ? classes[capped(PyUnicode_READ(kind, data, i + 1))] : 0;
        if ((cur & token) && !(i > 0 && (prev & token))) {
            tokens++;
            run_start = i;
        }
        int hit = (cur & lookalike) && !(cur & (ascii_letter | plain_cyr));
        if (i > 0)
            hit = hit || ((prev & letter) && (cur & leet)) || ((prev & lat) && (cur & cyrillic));
        if (i + 1 < n)
            hit = hit || ((cur & leet) && (next & letter)) || ((cur & cyrillic) && (next & lat));
        if (hit) {
            if (tokens == 0) {
                wrap = 1;
            } else if (tokens - 1 != last_chosen) {
                /* the token's end: scan on to the end of its run */
                last_chosen = tokens - 1;
                tok_start = run_start;
                Py_ssize_t end = tok_start;
                while (end < n && (classes[capped(PyUnicode_READ(kind, data, end))] & token))
                    end++;
                PyObject *span = Py_BuildValue("(nn)", tok_start, end);
                if (!span || PyList_Append(out, span)) {
                    Py_XDECREF(span);
                    Py_DECREF(out);
                    return NULL;
                }
                Py_DECREF(span);
            }
        }
        prev = cur;
        cur = next;
    }
    if (wrap && tokens) {
        /* index -1 sorts first: the last token, before the others */
        Py_ssize_t end = n, start;
        while (end > 0 && !(classes[capped(PyUnicode_READ(kind, data, end - 1))] & token)) end--;
        start = end;
        while (start > 0 && (classes[capped(PyUnicode_READ(kind, data, start - 1))] & token))
            start--;
        PyObject *span = Py_BuildValue("(nn)", start, end);
        if (!span || PyList_Insert(out, 0, span)) {
            Py_XDECREF(span);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(span);
    }
    return out;
}

PyDoc_STRVAR(has_triple_doc,
"has_triple(text)\n--\n\nIs a letter the third of three equal code points in a row?");

static PyObject *has_triple(PyObject *self, PyObject *text) {
    (void)self;
    if (!ready() || !check_text(text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 2; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == PyUnicode_READ(kind, data, i - 1) && c == PyUnicode_READ(kind, data, i - 2)
                && (classes[capped(c)] & letter))
            Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, configure_doc},
    {"bits", bits, METH_O, bits_doc},
    {"positions", positions, METH_VARARGS, positions_doc},
    {"may_join", may_join, METH_O, may_join_doc},
    {"fold_spans", fold_spans, METH_O, fold_spans_doc},
    {"has_triple", has_triple, METH_O, has_triple_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_textscan",
    "The normaliser's pre-checks, compiled (see moderator/_scan.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__textscan(void) { return PyModule_Create(&module); }
