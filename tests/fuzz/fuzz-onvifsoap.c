/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for seecitv-serve's ONVIF SOAP parser
 * (tools/serve-onvif-soap.c): every input is parsed as a request; a
 * parsed one has its UsernameToken checked against a password and its
 * operation put in a fault, as the service does. Besides the memory
 * errors the sanitizers catch, it abort ()s when a contract breaks: a
 * failure sets a SEECITV_ONVIF_ERROR with a UTF-8 message; a success has
 * a namespace and an operation, and every argument is UTF-8 of at most
 * 1024 bytes; input over 64 KiB or with a DTD is never parsed.
 * The seed corpus (corpus/onvifsoap/) holds requests of the shapes the
 * npm `onvif` client (0.8.3) sends, and refused ones.
 */
#include <glib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve-onvif-soap.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) do { \
    if (!(cond)) { \
      fprintf (stderr, "fuzz-onvifsoap: %s\n", #cond); \
      abort (); \
    } \
  } while (0)

static void
check_text (const gchar * s)
{
  CHECK (s == NULL || (g_utf8_validate (s, -1, NULL) && strlen (s) <= 1024));
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GError *err = NULL;
  SeecitvOnvifRequest *r =
      seecitv_onvif_request_parse ((const gchar *) data, size, &err);
  gchar *f;

  if (r == NULL) {
    CHECK (err != NULL && err->domain == SEECITV_ONVIF_ERROR);
    CHECK (g_utf8_validate (err->message, -1, NULL));
    g_error_free (err);
    return 0;
  }
  CHECK (err == NULL);
  CHECK (size <= SEECITV_ONVIF_MAX_BODY);
  CHECK (g_strstr_len ((const gchar *) data, size, "<!DOCTYPE") == NULL);
  CHECK (r->ns != NULL && r->op != NULL);
  check_text (r->profile_token);
  check_text (r->configuration_token);
  check_text (r->stream);
  check_text (r->protocol);
  check_text (r->username);
  check_text (r->nonce);
  check_text (r->created);
  (void) seecitv_onvif_token_check (r, "onvifpw", 1796688000 *
      (gint64) G_USEC_PER_SEC, 300, 30);
  f = seecitv_onvif_fault ("env:Receiver", "ter:ActionNotSupported", NULL,
      r->op);
  CHECK (f != NULL && strstr (f, "</env:Envelope>") != NULL);
  g_free (f);
  seecitv_onvif_request_free (r);
  return 0;
}
