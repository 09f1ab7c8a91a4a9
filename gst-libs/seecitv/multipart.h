/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An incremental parser for `multipart/x-mixed-replace` bodies (MJPEG over
 * HTTP), and the Content-Type helper that finds its boundary. Pure C over
 * GLib: no GObject, no GStreamer, no libsoup, so it is unit tested and
 * fuzzed on its own. The HTTP side (connecting, the response headers,
 * authentication, reconnecting) and turning parts into buffers are not here:
 * that is seecitvsrc's job in ext/soup.
 *
 * Usage (one parser per HTTP response; reset or set_boundary on reconnect):
 *
 *   boundary = seecitv_multipart_boundary_from_content_type (ct, &err);
 *   parser = seecitv_multipart_parser_new (boundary, &err);
 *   for each chunk read from the body:
 *     ok = seecitv_multipart_parser_feed (parser, data, len, &err);
 *     while ((part = seecitv_multipart_parser_pop (parser)) != NULL)
 *       use part->payload, then seecitv_multipart_part_free (part);
 *     if (!ok)
 *       handle err, then seecitv_multipart_parser_reset (parser);
 *
 * Chunks may be split anywhere (down to one byte): the parts, and the error
 * if any, are the same for every split. Time and memory are linear in the
 * input; memory is bounded by the two limits (see the setters).
 *
 * What is accepted (lenient the way browsers and GStreamer's multipartdemux
 * are, strict where leniency would let a hostile server cost memory):
 *
 * - Delimiter lines. With V the boundary parameter's value, a delimiter line
 *   is "--" V; when V itself starts with "--" (some servers put the dashes
 *   in the parameter), the line may also be just V. Then either "--" (the
 *   close delimiter: it needs no line ending, everything after it is
 *   discarded), or up to 64 spaces or tabs and CRLF or LF. Anything else
 *   makes it an ordinary line. A boundary made only of dashes is refused.
 * - Line endings: CRLF or bare LF, anywhere, mixed.
 * - Preamble and junk: lines before the first delimiter, and between the end
 *   of a Content-Length part and the next delimiter (a missing CRLF after the
 *   payload is fine), are skipped, at most max-header-size bytes in a row;
 *   more is SEECITV_MULTIPART_ERROR_NO_BOUNDARY. Non-blank skipped bytes are
 *   counted in the next part's @junk_bytes.
 * - Part headers: "Name: value" lines up to a blank line, names
 *   case-insensitive, spaces around the colon and the value ignored, folded
 *   lines (starting with a space or tab) joined to the previous header with
 *   one space; a line of only spaces and tabs ends the block like a blank
 *   one. Control characters other than tab are a syntax error. The
 *   whole block, blank line included, is at most max-header-size bytes. A
 *   delimiter line where the first header was expected opens a new part (an
 *   empty part is not reported).
 * - Framing: a part with Content-Length is exactly that many bytes, never
 *   scanned. Without it, the payload ends at the line break (CRLF or LF)
 *   before the next delimiter line; the line break is not payload.
 */
#ifndef __SEECITV_MULTIPART_H__
#define __SEECITV_MULTIPART_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_MULTIPART_ERROR (seecitv_multipart_error_quark ())
GQuark seecitv_multipart_error_quark (void);

typedef enum
{
  SEECITV_MULTIPART_ERROR_CONTENT_TYPE,     /* unusable Content-Type value */
  SEECITV_MULTIPART_ERROR_SYNTAX,           /* malformed part header */
  SEECITV_MULTIPART_ERROR_HEADER_TOO_LARGE, /* header block > max-header-size */
  SEECITV_MULTIPART_ERROR_PART_TOO_LARGE,   /* payload > max-part-size */
  SEECITV_MULTIPART_ERROR_NO_BOUNDARY,      /* junk > max-header-size bytes */
  SEECITV_MULTIPART_ERROR_TRUNCATED,        /* input ended inside a part */
  SEECITV_MULTIPART_ERROR_STATE             /* fed after an error or end */
} SeecitvMultipartError;

/* Longest boundary parameter accepted (RFC 2046 allows 70). */
#define SEECITV_MULTIPART_MAX_BOUNDARY_LEN 200

#define SEECITV_MULTIPART_DEFAULT_MAX_PART_SIZE (16 * 1024 * 1024)
#define SEECITV_MULTIPART_DEFAULT_MAX_HEADER_SIZE (16 * 1024)
/* Largest value set_max_part_size () takes. */
#define SEECITV_MULTIPART_MAX_PART_SIZE_LIMIT (1024 * 1024 * 1024)

typedef enum
{
  SEECITV_MULTIPART_TIMESTAMP_NONE,
  /* "X-Timestamp: <seconds>[.<fraction>]", as mjpg-streamer sends: the
   * sender's clock, whose epoch it does not say (often Unix time, sometimes
   * the capture driver's monotonic clock). Digits past nanoseconds are
   * dropped. A malformed value is ignored, as if absent. */
  SEECITV_MULTIPART_TIMESTAMP_X_TIMESTAMP,
  /* "X-UStreamer-Grab-Time: <seconds>[.<fraction>]" (ustreamer's extra
   * headers, asked for with `extra_headers=1` in the stream URL's query;
   * also spelt X-UStreamer-Grab-Begin-Time and -Grab-Timestamp by other
   * versions): when the frame was grabbed from the camera, on ustreamer's
   * monotonic clock. Its X-Timestamp is only the send time, so this takes
   * precedence over X-Timestamp. Read as X-Timestamp is. */
  SEECITV_MULTIPART_TIMESTAMP_USTREAMER_GRAB,
  /* "X-Seecitv-Capture-Time: <integer nanoseconds>", from seecitv-device
   * (epoch defined in docs/protocol.md). Takes precedence over the others.
   * A malformed value is a syntax error. */
  SEECITV_MULTIPART_TIMESTAMP_SEECITV
} SeecitvMultipartTimestamp;

/* One complete part. Returned by seecitv_multipart_parser_pop () in full
 * ownership: free it with seecitv_multipart_part_free (), which unrefs the
 * payload; g_bytes_ref () the payload first to keep it longer. The payload
 * is always a copy: it never points into memory the caller fed. */
typedef struct
{
  GBytes *payload;              /* owned, never NULL, may be empty */
  /* the first Content-Type, trimmed, tabs turned into spaces: printable
   * ASCII; owned; NULL if absent */
  gchar *content_type;
  guint64 content_length;       /* bytes, G_MAXUINT64 if absent */
  guint64 timestamp;            /* nanoseconds, G_MAXUINT64 if absent */
  SeecitvMultipartTimestamp timestamp_source;
  guint64 junk_bytes;           /* non-blank bytes skipped before this part */
  /* offset of the payload's first byte, counted from the first byte fed
   * after new () or the last reset () */
  guint64 offset;
} SeecitvMultipartPart;

void seecitv_multipart_part_free (SeecitvMultipartPart * part);

/* Returns the boundary parameter of a Content-Type header value such as
 * `multipart/x-mixed-replace; boundary="foo"`, newly allocated (g_free ()),
 * or NULL with SEECITV_MULTIPART_ERROR_CONTENT_TYPE. The media type must be
 * `multipart/<any subtype>` (case-insensitive). Parameters are separated by
 * ';', names are case-insensitive, spaces around ';' and '=' are ignored,
 * parameters without '=' and unknown ones are skipped. The value is a
 * quoted-string (backslash escapes honoured) or else everything up to the
 * next ';' with the spaces around it trimmed. It must be 1 to
 * SEECITV_MULTIPART_MAX_BOUNDARY_LEN printable ASCII characters, not all
 * dashes; the value is returned as given (leading dashes kept: the parser
 * deals with them). More than one boundary parameter is an error. */
gchar *seecitv_multipart_boundary_from_content_type (const gchar * value,
    GError ** error);

typedef struct _SeecitvMultipartParser SeecitvMultipartParser;

/* @boundary: the boundary parameter's value (as returned above; copied), or
 * NULL to learn it from the first line of the body that starts with "--"
 * (for servers that send no usable Content-Type): that line, without its
 * line ending and trailing spaces, becomes the delimiter, exactly.
 * Returns NULL with SEECITV_MULTIPART_ERROR_CONTENT_TYPE if @boundary breaks
 * the rules of seecitv_multipart_boundary_from_content_type (). */
SeecitvMultipartParser *seecitv_multipart_parser_new (const gchar * boundary,
    GError ** error);
void seecitv_multipart_parser_free (SeecitvMultipartParser * parser);

/* Limits, in bytes, checked from the next byte fed. max-part-size bounds
 * every payload (with or without Content-Length; a larger Content-Length is
 * refused as soon as its header is read), 1 to
 * SEECITV_MULTIPART_MAX_PART_SIZE_LIMIT. max-header-size bounds a part's
 * header block and a run of skipped preamble or junk, at least 1. */
void seecitv_multipart_parser_set_max_part_size (SeecitvMultipartParser *
    parser, gsize max_part_size);
void seecitv_multipart_parser_set_max_header_size (SeecitvMultipartParser *
    parser, gsize max_header_size);

/* Parses @len bytes of body (@data is only read during the call). Complete
 * parts are queued for seecitv_multipart_parser_pop (). Returns FALSE with
 * @error on a malformed or oversized stream; parts completed before the
 * error stay queued, the rest of @data is ignored, and every later feed
 * fails with SEECITV_MULTIPART_ERROR_STATE until the parser is reset. After
 * the close delimiter, input is accepted and discarded. */
gboolean seecitv_multipart_parser_feed (SeecitvMultipartParser * parser,
    const guint8 * data, gsize len, GError ** error);

/* Returns the oldest complete part, transfer full, or NULL if none. */
SeecitvMultipartPart *seecitv_multipart_parser_pop (SeecitvMultipartParser *
    parser);

/* Tells the parser the body ended (connection closed). Returns FALSE with
 * SEECITV_MULTIPART_ERROR_TRUNCATED if a part was started and not complete
 * (its bytes are dropped), TRUE otherwise (in the preamble, between parts,
 * right after a delimiter as ffmpeg's files end, after the close
 * delimiter). Without Content-Length a part is complete only once the next
 * delimiter is seen. Queued parts stay queued. Feeding or ending again
 * fails with SEECITV_MULTIPART_ERROR_STATE until the parser is reset. */
gboolean seecitv_multipart_parser_end (SeecitvMultipartParser * parser,
    GError ** error);

/* TRUE once the close delimiter has been seen. */
gboolean seecitv_multipart_parser_is_closed (SeecitvMultipartParser *
    parser);

/* Back to the state of a new parser, for a new body (a reconnection or a
 * resync after an error): drops buffered bytes, queued parts and the error.
 * Keeps the boundary (a learnt one is forgotten) and the limits. */
void seecitv_multipart_parser_reset (SeecitvMultipartParser * parser);

/* Same as reset (), with a new boundary (NULL: learn it). On error the
 * parser is unchanged. */
gboolean seecitv_multipart_parser_set_boundary (SeecitvMultipartParser *
    parser, const gchar * boundary, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvMultipartPart,
    seecitv_multipart_part_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeecitvMultipartParser,
    seecitv_multipart_parser_free)

G_END_DECLS

#endif /* __SEECITV_MULTIPART_H__ */
