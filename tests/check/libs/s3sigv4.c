/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AWS Signature Version 4 (gst-libs/seecitv/s3/s3sigv4.c) against published vectors:
 *
 * - AWS's SigV4 test suite ("signature-v4-test-suite", as kept in
 *   github.com/awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<case>/
 *   header-signed-request.txt, commit 4ec99f28fa66f8a308609dfc6020936c24edaaf2):
 *   service "service", region us-east-1, 2015-08-30T12:36:00Z, key
 *   AKIDEXAMPLE. For get-vanilla the canonical request and string to sign
 *   are the suite's get-vanilla.creq / get-vanilla.sts.
 * - The S3 examples of "Signature Calculations for the Authorization Header"
 *   (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
 *   GET object with Range, PUT object "Welcome to Amazon S3.", ListObjects;
 *   key AKIAIOSFODNN7EXAMPLE, 2013-05-24T00:00:00Z.
 *
 * Only the facts (requests, expected texts, signatures) are taken from
 * there. The loopback server test of the signed requests the client really
 * sends is tests/check/libs/s3client.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <seecitv/s3/s3sigv4.h>

#include <string.h>

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_HOST "example.amazonaws.com"
#define SUITE_PREFIX "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
  "us-east-1/service/aws4_request, SignedHeaders="

#define S3_KEY "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE "20130524T000000Z"
#define S3_HOST "examplebucket.s3.amazonaws.com"

typedef struct
{
  const gchar *name;
  const gchar *method;
  const gchar *path;
  const gchar *query;
  SeecitvSigV4Header headers[6];
  const gchar *expected;        /* SignedHeaders=... onwards */
} SuiteCase;

static const SuiteCase suite[] = {
  {"get-vanilla", "GET", "/", NULL,
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
        "host;x-amz-date, Signature="
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
  {"get-vanilla-query-order-key-case", "GET", "/",
        "Param2=value2&Param1=value1",
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
        "host;x-amz-date, Signature="
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
  {"get-vanilla-query-unreserved", "GET", "/",
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
        "host;x-amz-date, Signature="
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
  {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar",
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
        "host;x-amz-date, Signature="
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
  {"get-utf8", "GET", "/\xe1\x88\xb4", NULL,
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
        "host;x-amz-date, Signature="
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
  {"get-header-value-trim", "GET", "/", NULL,
        {{"Host", SUITE_HOST}, {"My-Header1", " value1"},
          {"My-Header2", " \"a   b   c\""}, {"X-Amz-Date", SUITE_DATE}},
        "host;my-header1;my-header2;x-amz-date, Signature="
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
  {"get-vanilla-with-session-token", "GET", "/", NULL,
        {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE},
          {"X-Amz-Security-Token",
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
        "host;x-amz-date;x-amz-security-token, Signature="
      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
};

static guint
count_headers (const SeecitvSigV4Header * h, guint max)
{
  guint n = 0;
  while (n < max && h[n].name)
    n++;
  return n;
}

GST_START_TEST (test_suite_vectors)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (suite); i++) {
    const SuiteCase *c = &suite[i];
    SeecitvSigV4Request req = { c->method, c->path, c->query, c->headers,
      count_headers (c->headers, G_N_ELEMENTS (c->headers)),
      SEECITV_SIGV4_EMPTY_SHA256
    };
    gchar *auth = seecitv_sigv4_authorization (&req, SUITE_KEY, SUITE_SECRET,
        "us-east-1", "service", SUITE_DATE, NULL, NULL);
    gchar *expected = g_strconcat (SUITE_PREFIX, c->expected, NULL);

    fail_unless (auth != NULL, "%s", c->name);
    fail_unless_equals_string (auth, expected);
    g_free (auth);
    g_free (expected);
  }
}

GST_END_TEST;

/* get-vanilla.creq and get-vanilla.sts, the intermediate texts. */
GST_START_TEST (test_suite_intermediate)
{
  SeecitvSigV4Request req = { "GET", "/", NULL, suite[0].headers, 2,
    SEECITV_SIGV4_EMPTY_SHA256
  };
  gchar *creq = NULL, *sts = NULL, *auth;

  auth = seecitv_sigv4_authorization (&req, SUITE_KEY, SUITE_SECRET,
      "us-east-1", "service", SUITE_DATE, &creq, &sts);
  fail_unless (auth != NULL);
  fail_unless_equals_string (creq, "GET\n/\n\n"
      "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  fail_unless_equals_string (sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n"
      "20150830/us-east-1/service/aws4_request\n"
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  g_free (auth);
  g_free (creq);
  g_free (sts);
}

GST_END_TEST;

static gchar *
s3_sign (const gchar * method, const gchar * path, const gchar * query,
    const SeecitvSigV4Header * headers, guint n, const gchar * payload,
    gchar ** creq, gchar ** sts)
{
  SeecitvSigV4Request req = { method, path, query, headers, n, payload };
  return seecitv_sigv4_authorization (&req, S3_KEY, S3_SECRET, "us-east-1",
      "s3", S3_DATE, creq, sts);
}

#define S3_PREFIX "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" \
  "20130524/us-east-1/s3/aws4_request, SignedHeaders="

GST_START_TEST (test_s3_get_object)
{
  SeecitvSigV4Header h[] = { {"Host", S3_HOST}, {"Range", "bytes=0-9"},
  {"x-amz-content-sha256", SEECITV_SIGV4_EMPTY_SHA256},
  {"x-amz-date", S3_DATE}
  };
  gchar *auth = s3_sign ("GET", "/test.txt", NULL, h, G_N_ELEMENTS (h),
      SEECITV_SIGV4_EMPTY_SHA256, NULL, NULL);

  fail_unless_equals_string (auth, S3_PREFIX
      "host;range;x-amz-content-sha256;x-amz-date, Signature="
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  g_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_s3_put_object)
{
  const gchar *body = "Welcome to Amazon S3.";
  gchar *payload = seecitv_sigv4_sha256_hex ((const guint8 *) body,
      strlen (body));
  SeecitvSigV4Header h[] = { {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
  {"Host", S3_HOST}, {"x-amz-content-sha256", payload},
  {"x-amz-date", S3_DATE}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}
  };
  gchar *creq = NULL, *sts = NULL, *auth;

  fail_unless_equals_string (payload,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  /* The key has a '$' that must be encoded (once, for S3). */
  auth = s3_sign ("PUT", "/test$file.text", NULL, h, G_N_ELEMENTS (h),
      payload, &creq, &sts);
  fail_unless_equals_string (creq, "PUT\n/test%24file.text\n\n"
      "date:Fri, 24 May 2013 00:00:00 GMT\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
      "x-amz-date:20130524T000000Z\n"
      "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  fail_unless_equals_string (sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
      "20130524/us-east-1/s3/aws4_request\n"
      "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  fail_unless_equals_string (auth, S3_PREFIX
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
      "Signature="
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  g_free (auth);
  g_free (creq);
  g_free (sts);
  g_free (payload);
}

GST_END_TEST;

GST_START_TEST (test_s3_list_objects)
{
  SeecitvSigV4Header h[] = { {"Host", S3_HOST},
  {"x-amz-content-sha256", SEECITV_SIGV4_EMPTY_SHA256},
  {"x-amz-date", S3_DATE}
  };
  gchar *auth = s3_sign ("GET", "/", "max-keys=2&prefix=J", h,
      G_N_ELEMENTS (h), SEECITV_SIGV4_EMPTY_SHA256, NULL, NULL);

  fail_unless_equals_string (auth, S3_PREFIX
      "host;x-amz-content-sha256;x-amz-date, Signature="
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  g_free (auth);
}

GST_END_TEST;

/* A change in any signed part changes the signature. */
GST_START_TEST (test_every_part_is_signed)
{
  SeecitvSigV4Header h[] = { {"Host", S3_HOST},
  {"x-amz-content-sha256", SEECITV_SIGV4_EMPTY_SHA256},
  {"x-amz-date", S3_DATE}
  };
  gchar *base = s3_sign ("GET", "/a", "x=1", h, 3, "00", NULL, NULL);
  gchar *other[5];
  SeecitvSigV4Header h2[] = { {"Host", "other.example"},
  {"x-amz-content-sha256", SEECITV_SIGV4_EMPTY_SHA256},
  {"x-amz-date", S3_DATE}
  };
  guint i;

  other[0] = s3_sign ("PUT", "/a", "x=1", h, 3, "00", NULL, NULL);
  other[1] = s3_sign ("GET", "/b", "x=1", h, 3, "00", NULL, NULL);
  other[2] = s3_sign ("GET", "/a", "x=2", h, 3, "00", NULL, NULL);
  other[3] = s3_sign ("GET", "/a", "x=1", h2, 3, "00", NULL, NULL);
  other[4] = s3_sign ("GET", "/a", "x=1", h, 3, "01", NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (other); i++) {
    fail_unless (other[i] != NULL);
    fail_if (g_strcmp0 (base, other[i]) == 0, "part %u not signed", i);
    g_free (other[i]);
  }
  g_free (base);
}

GST_END_TEST;

GST_START_TEST (test_encoding_and_digests)
{
  gchar *s;

  s = seecitv_sigv4_uri_encode ("a b/c~d+e$", -1, FALSE);
  fail_unless_equals_string (s, "a%20b/c~d%2Be%24");
  g_free (s);
  s = seecitv_sigv4_uri_encode ("a/b", -1, TRUE);
  fail_unless_equals_string (s, "a%2Fb");
  g_free (s);
  /* RFC 1321: MD5 ("abc"), in base64 as Content-MD5 carries it. */
  s = seecitv_sigv4_content_md5 ((const guint8 *) "abc", 3);
  fail_unless_equals_string (s, "kAFQmDzST7DWlj99KOF/cg==");
  g_free (s);
  /* FIPS 180-2: SHA-256 ("abc"). */
  s = seecitv_sigv4_sha256_hex ((const guint8 *) "abc", 3);
  fail_unless_equals_string (s,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_free (s);
}

GST_END_TEST;

static Suite *
s3sigv4_suite (void)
{
  Suite *s = suite_create ("s3sigv4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_suite_vectors);
  tcase_add_test (tc, test_suite_intermediate);
  tcase_add_test (tc, test_s3_get_object);
  tcase_add_test (tc, test_s3_put_object);
  tcase_add_test (tc, test_s3_list_objects);
  tcase_add_test (tc, test_every_part_is_signed);
  tcase_add_test (tc, test_encoding_and_digests);
  return s;
}

GST_CHECK_MAIN (s3sigv4);
