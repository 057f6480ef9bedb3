/* SPDX-License-Identifier: MIT */
/* jepsen_import.h - load Jepsen histories (EDN, console log) or ours, detected by content. */
#ifndef JEPSEN_IMPORT_H
#define JEPSEN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

struct errbuf;
struct history;

enum {
	JEPSEN_FILE_BYTES_MAX = 1 << 30,        /* an imported file is read whole */
};

/*
 * The forms a history file may take (histories/FORMAT.md, "Importing Jepsen histories"):
 * - JSONL: ours (histories/FORMAT.md), first non-blank character '{' followed by '"'.
 * - EDN: Jepsen op maps, one per line or inside one vector or list, `;` comments and `#_`
 *   discarded forms allowed: {:process 0, :type :invoke, :f :cas, :key "k", :value [1 2]}
 * - LOG: Jepsen's console log or jepsen.log: op lines, the message of logger jepsen.util
 *   (or jepsen.print) after "jepsen.util - ", ": " or " ", among other lines, which are
 *   skipped: INFO  jepsen.util - 3<TAB>:info<TAB>:cas<TAB>[3 0]<TAB>:timeout
 *   A text opening with '[' or '(' is a log if any line of it is an op line and the
 *   bracket is not followed by '{', '#' or a closing bracket.
 * - EMPTY: nothing but whitespace, comments and discarded forms; an empty history.
 */
enum jepsen_form { JEPSEN_FORM_EMPTY, JEPSEN_FORM_JSONL, JEPSEN_FORM_EDN, JEPSEN_FORM_LOG };

struct jepsen_import_opts {
	/* Refuse what Jepsen writes but our format's rules do not allow (see
	 * jepsen_import_load()) with "path:line: expected ... (--strict)", instead of fitting
	 * it with a warning. */
	bool strict;
	/* Read every op map with the full EDN reader, not the fast scanner first (the two
	 * give the same ops and errors; for benchmarks and tests comparing them). */
	bool full_reader_only;
};

/* jepsen_form_name() - "empty", "jsonl", "edn" or "log". */
const char *jepsen_form_name(enum jepsen_form form);

/* jepsen_form_detect() - which form @size bytes of @text are in (see above). Never fails. */
enum jepsen_form jepsen_form_detect(const char *text, size_t size);

/**
 * jepsen_import_load() - load @path in any form into @h, as hist_load() does (hist_fini() it).
 * Imported ops get index = position; time = their :time when given, else the position (file
 * order is real-time order). Of an EDN op map, :process (integer or :nemesis), :type, :f,
 * :value (absent is nil), :key (string, keyword or integer), :time, :node and :error are
 * read; :index and any other key are ignored. In the log form, text after a completion's
 * value is its error (EDN converted as :error is, else kept as it is); without any, a
 * keyword result of a fail or info completion (":timed-out") is its error and its value is
 * nil. An op line is a line whose logger message starts with a digit or ':' or has a
 * keyword as its second word (not await-fn's "Waiting for ..."); it must parse. Other
 * lines are skipped and counted in h->warning ("path: skipped N non-op lines ..."); a log
 * with no op line at all is an error. Values map as FORMAT.md says: nil, integers,
 * vectors of integers unpacked, anything else as JSON text (strings, keywords as strings).
 * Every op is checked by the format's rules, after Jepsen's habits are fitted to them
 * (jepsen_lenient.h; FORMAT.md lists them): each is counted and described, with its first
 * line, in h->warning (one line each), or refused with @opts->strict. Values that are all
 * Jepsen independent [key value] tuples are split into key and value (read twice).
 * @opts: NULL for the defaults (lenient).
 * @form: if not NULL, receives the form detected.
 * Return: 0; -EBADMSG/-EINVAL with "path:line: expected ..." in @eb; -E2BIG (file over
 * JEPSEN_FILE_BYTES_MAX, or a bound of hist.h); -ENOMEM; -errno opening or reading @path.
 */
int jepsen_import_load(struct history *h, const char *path,
		       const struct jepsen_import_opts *opts, enum jepsen_form *form,
		       struct errbuf *eb);

#endif /* JEPSEN_IMPORT_H */
