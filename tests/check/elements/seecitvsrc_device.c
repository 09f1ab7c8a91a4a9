/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See seecitvsrc_device.h. SEECITV_DEVICE_TOOL is the built tool's path.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsrc_device.h"

#include <gst/check/gstcheck.h>
#include <signal.h>
#include <string.h>

#include <protocol.h>

TestDevice *
test_device_startv (const gchar * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  TestDevice *d = g_new0 (TestDevice, 1);
  GError *err = NULL;
  GDataInputStream *out;
  gchar *line;

  g_ptr_array_add (argv, (gpointer) SEECITV_DEVICE_TOOL);
  g_ptr_array_add (argv, (gpointer) "--port=0");
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  d->proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err);
  g_ptr_array_free (argv, TRUE);
  fail_unless (d->proc != NULL, "%s", err ? err->message : "");

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (d->proc));
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, NULL))) {
    if (g_str_has_prefix (line, "url: "))
      d->url = g_strdup (line + 5);
    else if (g_str_has_prefix (line, "pin: "))
      d->pin = g_strdup (line + 5);
    g_free (line);
    if (d->url != NULL && (d->pin != NULL ||
            !g_str_has_prefix (d->url, "https")))
      break;
  }
  g_object_unref (out);
  fail_unless (d->url != NULL, "seecitv-device printed no url");
  fail_unless (g_str_has_prefix (d->url, "http://127.0.0.1:") ||
      g_str_has_prefix (d->url, "https://127.0.0.1:"));
  return d;
}

TestDevice *
test_device_start (const gchar * first_arg, ...)
{
  GPtrArray *args = g_ptr_array_new ();
  const gchar *a;
  TestDevice *d;
  va_list ap;

  va_start (ap, first_arg);
  for (a = first_arg; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  d = test_device_startv ((const gchar * const *) args->pdata);
  g_ptr_array_free (args, TRUE);
  return d;
}

void
test_device_stop (TestDevice * d)
{
  g_subprocess_send_signal (d->proc, SIGTERM);
  g_subprocess_wait (d->proc, NULL, NULL);
  g_object_unref (d->proc);
  g_free (d->url);
  g_free (d->pin);
  g_free (d);
}

gchar *
test_device_info_url (TestDevice * d)
{
  gchar *url = g_strdup (d->url);
  gchar *at = strstr (url, SEECITV_PROTOCOL_STREAM_PATH);

  fail_unless (at != NULL);
  strcpy (at, SEECITV_PROTOCOL_INFO_PATH);
  return url;
}

guint16
test_free_port (void)
{
  GSocketListener *l = g_socket_listener_new ();
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *effective = NULL;
  guint16 port;

  fail_unless (g_socket_listener_add_address (l, sa, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (l);
  g_object_unref (l);
  g_object_unref (sa);
  g_object_unref (effective);
  return port;
}
