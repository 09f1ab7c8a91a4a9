/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helpers shared by the tests that run tools/seecitv-device as a
 * subprocess (elements: seecitvsrc, seecitvsrc_motion; security:
 * bruteforce, faults, faults_net, secrets; tools: seecitv, seecitv-serve;
 * docs/cookbook; soak): start it on 127.0.0.1, read the url and pin it
 * prints, stop it; a free loopback port; a self-signed certificate and
 * its pin; a seecitvsrc ! appsink pipeline to pull from it; no proxy.
 * GstCheck asserts inside.
 */
#ifndef __SEECITVSRC_DEVICE_H__
#define __SEECITVSRC_DEVICE_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *proc;
  gchar *url;                   /* the stream */
  gchar *pin;                   /* with TLS: sha256:<hex> */
} TestDevice;

/* seecitv-device --port=0 then the arguments given (NULL-terminated; a
 * later --port wins). Returns once it printed its url (and, with TLS,
 * its pin: asserted). */
TestDevice *test_device_start (const gchar * first_arg, ...)
    G_GNUC_NULL_TERMINATED;
TestDevice *test_device_startv (const gchar * const *args);
/* SIGTERM, wait, free. */
void test_device_stop (TestDevice * d);
/* The device's info URL (g_free ()). */
gchar *test_device_info_url (TestDevice * d);
guint16 test_free_port (void);
guint16 test_url_port (const gchar * url);
gchar *test_write_key (const gchar * dir, const gchar * name,
    const gchar * hex);
/* A fresh self-signed P-256 certificate for 127.0.0.1 (CN and IP SAN),
 * valid an hour: certificate and key, PEM (g_free ()). */
gchar *test_make_certificate_pem (void);
/* sha256:<hex> of @cert's DER (g_free ()). */
gchar *test_certificate_pin (GTlsCertificate * cert);

/* Everything is on 127.0.0.1: no proxy from the environment (GIO's
 * dummy resolver; libproxy's C++ unwinding also upsets valgrind). Call
 * before the first test. */
void test_no_proxy (void);
/* Under ASan only: CK_FORK=no unless set (LeakSanitizer's tracer crashes
 * at exit in forked children that made a TLS handshake). */
void test_asan_no_fork (void);

/* A pipeline "seecitvsrc name=src ... ! appsink name=sink ..." with the
 * elements named src and sink held. */
typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
} TestPipe;

/* Parses @launch (it must name the elements src and sink) and sets the
 * source's location to @url. */
TestPipe test_pipe_new (const gchar * launch, const gchar * url);
/* To NULL (asserted to succeed at once), then test_pipe_unref (). */
void test_pipe_free (TestPipe * p);
/* Drops the three references (the state is the caller's business). */
void test_pipe_unref (TestPipe * p);

G_END_DECLS

#endif /* __SEECITVSRC_DEVICE_H__ */
