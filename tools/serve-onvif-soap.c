/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * serve-onvif-soap.h: SOAP requests parsed with libxml2 (a DOM of at most
 * 64 KiB of input, checked for depth and for a DTD before anything looks
 * at it), the UsernameToken digest, and the answers' envelopes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-onvif-soap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define MAX_TEXT 1024           /* longest argument kept */

G_DEFINE_QUARK (seecitv-onvif-error-quark, seecitv_onvif_error);

static gboolean
is (xmlNode * n, const gchar * ns, const gchar * name)
{
  return n != NULL && n->type == XML_ELEMENT_NODE &&
      strcmp ((const gchar *) n->name, name) == 0 && (ns == NULL ||
      (n->ns != NULL && n->ns->href != NULL &&
          strcmp ((const gchar *) n->ns->href, ns) == 0));
}

static xmlNode *
child (xmlNode * n, const gchar * ns, const gchar * name)
{
  for (xmlNode * c = n ? n->children : NULL; c != NULL; c = c->next)
    if (is (c, ns, name))
      return c;
  return NULL;
}

static xmlNode *
first_element (xmlNode * n)
{
  for (xmlNode * c = n ? n->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      return c;
  return NULL;
}

/* The trimmed text of @n, at most MAX_TEXT bytes, or NULL. */
static gchar *
text (xmlNode * n)
{
  xmlChar *t;
  gchar *out = NULL;

  if (n == NULL)
    return NULL;
  t = xmlNodeGetContent (n);
  if (t != NULL) {
    gchar *s = g_strstrip (g_strdup ((const gchar *) t));

    if (strlen (s) <= MAX_TEXT && g_utf8_validate (s, -1, NULL))
      out = s;
    else
      g_free (s);
    xmlFree (t);
  }
  return out;
}

/* The first descendant of @n named @name (any namespace), breadth last:
 * arguments are a level or two down. */
static xmlNode *
find (xmlNode * n, const gchar * name, guint depth)
{
  if (depth > SEECITV_ONVIF_MAX_DEPTH)
    return NULL;
  for (xmlNode * c = n ? n->children : NULL; c != NULL; c = c->next) {
    xmlNode *f;

    if (c->type != XML_ELEMENT_NODE)
      continue;
    if (strcmp ((const gchar *) c->name, name) == 0)
      return c;
    if ((f = find (c, name, depth + 1)) != NULL)
      return f;
  }
  return NULL;
}

static gboolean
too_deep (xmlNode * n, guint depth)
{
  if (depth > SEECITV_ONVIF_MAX_DEPTH)
    return TRUE;
  for (xmlNode * c = n->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && too_deep (c, depth + 1))
      return TRUE;
  return FALSE;
}

static void
parse_token (SeecitvOnvifRequest * r, xmlNode * header)
{
  xmlNode *sec = child (header, SEECITV_ONVIF_NS_WSSE, "Security");
  xmlNode *tok = child (sec, SEECITV_ONVIF_NS_WSSE, "UsernameToken");
  xmlNode *pw;
  xmlChar *type;

  if (tok == NULL)
    return;
  r->has_token = TRUE;
  r->username = text (child (tok, NULL, "Username"));
  pw = child (tok, NULL, "Password");
  r->password = text (pw);
  type = pw ? xmlGetProp (pw, (const xmlChar *) "Type") : NULL;
  r->password_digest = type == NULL ||
      g_str_has_suffix ((const gchar *) type, "#PasswordDigest");
  if (type != NULL)
    xmlFree (type);
  r->nonce = text (child (tok, NULL, "Nonce"));
  r->created = text (child (tok, NULL, "Created"));
}

SeecitvOnvifRequest *
seecitv_onvif_request_parse (const gchar * data, gsize len, GError ** error)
{
  static gsize inited = 0;
  SeecitvOnvifRequest *r = NULL;
  xmlDoc *doc = NULL;
  xmlNode *env, *body, *op, *n;

  if (g_once_init_enter (&inited)) {
    xmlInitParser ();
    g_once_init_leave (&inited, 1);
  }
  if (len > SEECITV_ONVIF_MAX_BODY) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_TOO_BIG,
        "request larger than %u bytes", SEECITV_ONVIF_MAX_BODY);
    return NULL;
  }
  /* no DTD: refused before libxml2 reads its declarations */
  if (data == NULL || g_strstr_len (data, len, "<!DOCTYPE") != NULL ||
      memchr (data, '\0', len) != NULL) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_MALFORMED,
        "not a SOAP request (empty, NUL byte or DTD)");
    return NULL;
  }
  doc = xmlReadMemory (data, (int) len, "request.xml", NULL,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  env = doc ? xmlDocGetRootElement (doc) : NULL;
  if (env == NULL || doc->intSubset != NULL || doc->extSubset != NULL) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_MALFORMED,
        "not well-formed XML");
    goto out;
  }
  if (too_deep (env, 1)) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_TOO_DEEP,
        "elements nested deeper than %u", SEECITV_ONVIF_MAX_DEPTH);
    goto out;
  }
  if (is (env, SEECITV_ONVIF_NS_SOAP11, "Envelope")) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_VERSION,
        "SOAP 1.1: ONVIF uses SOAP 1.2");
    goto out;
  }
  body = is (env, SEECITV_ONVIF_NS_SOAP, "Envelope") ?
      child (env, SEECITV_ONVIF_NS_SOAP, "Body") : NULL;
  op = first_element (body);
  if (op == NULL || op->ns == NULL || op->ns->href == NULL) {
    g_set_error (error, SEECITV_ONVIF_ERROR, SEECITV_ONVIF_ERROR_MALFORMED,
        "no SOAP 1.2 Envelope/Body with a namespaced operation");
    goto out;
  }
  r = g_new0 (SeecitvOnvifRequest, 1);
  r->ns = g_strdup ((const gchar *) op->ns->href);
  r->op = g_strdup ((const gchar *) op->name);
  r->profile_token = text (find (op, "ProfileToken", 1));
  r->configuration_token = text (find (op, "ConfigurationToken", 1));
  if ((n = find (op, "StreamSetup", 1)) != NULL) {
    r->stream = text (child (n, NULL, "Stream"));
    r->protocol = text (child (child (n, NULL, "Transport"), NULL,
            "Protocol"));
  }
  if ((n = child (op, NULL, "IncludeCapability")) != NULL) {
    gchar *t = text (n);

    r->include_capability = g_strcmp0 (t, "true") == 0 ||
        g_strcmp0 (t, "1") == 0;
    g_free (t);
  }
  parse_token (r, child (env, SEECITV_ONVIF_NS_SOAP, "Header"));

out:
  if (doc != NULL)
    xmlFreeDoc (doc);
  return r;
}

void
seecitv_onvif_request_free (SeecitvOnvifRequest * r)
{
  if (r == NULL)
    return;
  if (r->password != NULL)
    memset (r->password, 0, strlen (r->password));
  {
    gchar **strings[] = { &r->ns, &r->op, &r->profile_token,
      &r->configuration_token, &r->stream, &r->protocol, &r->username,
      &r->password, &r->nonce, &r->created
    };

    for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
      g_free (*strings[i]);
  }
  g_free (r);
}

SeecitvOnvifTokenResult
seecitv_onvif_token_check (const SeecitvOnvifRequest * req,
    const gchar * password, gint64 now_us, guint max_age_s, guint skew_s)
{
  GDateTime *created;
  gint64 created_us;
  guchar *nonce, *expected, *given;
  gsize nonce_len = 0, given_len = 0, dlen = 20;
  GChecksum *sha1;
  guint diff = 0;

  if (!req->has_token || !req->password_digest || req->nonce == NULL ||
      req->created == NULL || req->password == NULL || password == NULL)
    return SEECITV_ONVIF_TOKEN_MALFORMED;
  created = g_date_time_new_from_iso8601 (req->created, NULL);
  if (created == NULL)
    return SEECITV_ONVIF_TOKEN_MALFORMED;
  created_us = g_date_time_to_unix (created) * G_USEC_PER_SEC +
      g_date_time_get_microsecond (created);
  g_date_time_unref (created);
  if (created_us < now_us - (gint64) max_age_s * G_USEC_PER_SEC)
    return SEECITV_ONVIF_TOKEN_EXPIRED;
  if (created_us > now_us + (gint64) skew_s * G_USEC_PER_SEC)
    return SEECITV_ONVIF_TOKEN_FUTURE;

  nonce = g_base64_decode (req->nonce, &nonce_len);
  given = g_base64_decode (req->password, &given_len);
  if (nonce_len == 0 || given_len != 20) {
    g_free (nonce);
    g_free (given);
    return SEECITV_ONVIF_TOKEN_MALFORMED;
  }
  sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, nonce, nonce_len);
  g_checksum_update (sha1, (const guchar *) req->created, -1);
  g_checksum_update (sha1, (const guchar *) password, -1);
  expected = g_malloc (dlen);
  g_checksum_get_digest (sha1, expected, &dlen);
  g_checksum_free (sha1);
  for (gsize i = 0; i < 20; i++)
    diff |= expected[i] ^ given[i];
  g_free (expected);
  g_free (nonce);
  g_free (given);
  return diff == 0 ? SEECITV_ONVIF_TOKEN_OK : SEECITV_ONVIF_TOKEN_WRONG;
}

gchar *
seecitv_onvif_envelope (const gchar * body)
{
  return g_strconcat ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<env:Envelope xmlns:env=\"" SEECITV_ONVIF_NS_SOAP "\" "
      "xmlns:tds=\"" SEECITV_ONVIF_NS_DEVICE "\" "
      "xmlns:trt=\"" SEECITV_ONVIF_NS_MEDIA "\" "
      "xmlns:tt=\"" SEECITV_ONVIF_NS_SCHEMA "\" "
      "xmlns:ter=\"" SEECITV_ONVIF_NS_ERROR "\">"
      "<env:Body>", body ? body : "", "</env:Body></env:Envelope>\n", NULL);
}

gchar *
seecitv_onvif_fault (const gchar * code, const gchar * sub1,
    const gchar * sub2, const gchar * reason)
{
  gchar *r = g_markup_escape_text (reason, -1);
  gchar *body = g_strdup_printf ("<env:Fault><env:Code><env:Value>%s"
      "</env:Value>%s%s%s%s%s%s</env:Code><env:Reason><env:Text "
      "xml:lang=\"en\">%s</env:Text></env:Reason></env:Fault>", code,
      sub1 ? "<env:Subcode><env:Value>" : "", sub1 ? sub1 : "",
      sub1 ? "</env:Value>" : "",
      sub1 && sub2 ? "<env:Subcode><env:Value>" : "",
      sub1 && sub2 ? sub2 : "",
      sub1 ? (sub2 ? "</env:Value></env:Subcode></env:Subcode>" :
          "</env:Subcode>") : "", r);
  gchar *env = seecitv_onvif_envelope (body);

  g_free (r);
  g_free (body);
  return env;
}
