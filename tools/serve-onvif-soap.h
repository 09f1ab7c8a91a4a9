/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The SOAP side of seecitv-serve's ONVIF service (docs/onvif.md), without
 * any I/O, so that it can be fuzzed (tests/fuzz/fuzz-onvifsoap.c): a SOAP
 * 1.2 request parsed with libxml2 into what the service looks at (the
 * operation, its few arguments, a WS-Security UsernameToken), the
 * UsernameToken PasswordDigest check, and the envelopes and faults of the
 * answers.
 *
 * Input is bounded: at most SEECITV_ONVIF_MAX_BODY bytes, elements nested
 * at most SEECITV_ONVIF_MAX_DEPTH deep, no DTD at all (so no entity
 * declaration, hence no entity expansion), no network access
 * (XML_PARSE_NONET), entities never substituted (no XML_PARSE_NOENT).
 */
#ifndef __SEECITV_SERVE_ONVIF_SOAP_H__
#define __SEECITV_SERVE_ONVIF_SOAP_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_ONVIF_MAX_BODY (64 * 1024)
#define SEECITV_ONVIF_MAX_DEPTH 32

#define SEECITV_ONVIF_NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define SEECITV_ONVIF_NS_SOAP11 "http://schemas.xmlsoap.org/soap/envelope/"
#define SEECITV_ONVIF_NS_DEVICE "http://www.onvif.org/ver10/device/wsdl"
#define SEECITV_ONVIF_NS_MEDIA "http://www.onvif.org/ver10/media/wsdl"
#define SEECITV_ONVIF_NS_SCHEMA "http://www.onvif.org/ver10/schema"
#define SEECITV_ONVIF_NS_ERROR "http://www.onvif.org/ver10/error"
#define SEECITV_ONVIF_NS_WSSE "http://docs.oasis-open.org/wss/2004/01/" \
  "oasis-200401-wss-wssecurity-secext-1.0.xsd"

#define SEECITV_ONVIF_ERROR (seecitv_onvif_error_quark ())
GQuark seecitv_onvif_error_quark (void);

/* Each is answered with the SOAP fault its comment names. */
typedef enum
{
  SEECITV_ONVIF_ERROR_TOO_BIG,  /* env:Sender ter:WellFormed */
  SEECITV_ONVIF_ERROR_MALFORMED,        /* env:Sender ter:WellFormed */
  SEECITV_ONVIF_ERROR_TOO_DEEP, /* env:Sender ter:WellFormed */
  SEECITV_ONVIF_ERROR_VERSION,  /* env:VersionMismatch (SOAP 1.1) */
} SeecitvOnvifError;

/* A parsed request; strings are owned, NULL when absent. */
typedef struct
{
  gchar *ns;                    /* the namespace of the Body's element */
  gchar *op;                    /* its local name: the operation */
  gchar *profile_token;         /* a ProfileToken argument */
  gchar *configuration_token;   /* a ConfigurationToken argument */
  gchar *stream;                /* StreamSetup/Stream: RTP-Unicast... */
  gchar *protocol;              /* StreamSetup/Transport/Protocol */
  gboolean include_capability;  /* GetServices' IncludeCapability */
  /* a wsse:Security/wsse:UsernameToken in the Header */
  gboolean has_token;
  gchar *username;
  gchar *password;              /* the digest (base64) or the password */
  gboolean password_digest;     /* Type is #PasswordDigest (or absent) */
  gchar *nonce;                 /* base64 */
  gchar *created;               /* xsd:dateTime */
} SeecitvOnvifRequest;

/* Parses @len bytes of @data. Returns a request with at least ns and op,
 * or NULL with @error set (SEECITV_ONVIF_ERROR). Thread-safe. */
SeecitvOnvifRequest *seecitv_onvif_request_parse (const gchar * data,
    gsize len, GError ** error);
void seecitv_onvif_request_free (SeecitvOnvifRequest * req);

typedef enum
{
  SEECITV_ONVIF_TOKEN_OK,
  SEECITV_ONVIF_TOKEN_MALFORMED,        /* no nonce, bad base64, no Created */
  SEECITV_ONVIF_TOKEN_EXPIRED,  /* Created older than max_age_s */
  SEECITV_ONVIF_TOKEN_FUTURE,   /* Created later than now + skew_s */
  SEECITV_ONVIF_TOKEN_WRONG,    /* the digest does not match */
} SeecitvOnvifTokenResult;

/* Checks @req's UsernameToken against @password: PasswordDigest only,
 * Base64 (SHA-1 (nonce + created + password)) compared in constant time,
 * Created within [now - @max_age_s, now + @skew_s] (@now_us: Unix µs).
 * The time is checked before the digest. The caller checks the nonce was
 * not seen before, once the digest is right. */
SeecitvOnvifTokenResult seecitv_onvif_token_check (const SeecitvOnvifRequest
    * req, const gchar * password, gint64 now_us, guint max_age_s,
    guint skew_s);

/* A SOAP 1.2 envelope around @body (XML, may be NULL), with the ONVIF
 * namespaces (env, tds, trt, tt, ter) declared. g_free (). */
gchar *seecitv_onvif_envelope (const gchar * body);

/* A SOAP 1.2 fault envelope: @code ("env:Sender", "env:Receiver"), then
 * the subcodes @sub1 and @sub2 (e.g. "ter:InvalidArgVal",
 * "ter:NoProfile"; either may be NULL), and @reason (plain text). */
gchar *seecitv_onvif_fault (const gchar * code, const gchar * sub1,
    const gchar * sub2, const gchar * reason);

G_END_DECLS

#endif /* __SEECITV_SERVE_ONVIF_SOAP_H__ */
