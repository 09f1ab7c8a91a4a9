/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve's configuration (docs/serve.md): a GKeyFile with one
 * [device NAME] group per device, an optional [rtsp], [onvif] and
 * [webhook] group, parsed into plain structs; and the RTSP credentials file
 * (`user:password` lines). Parsing never opens the files a configuration
 * names (keys, secrets, directories): that is the tool's job at start, so
 * the parsers take bytes and can be fuzzed (tests/fuzz/fuzz-serveconfig.c).
 * Every error names the file, the group and the key, never a value that
 * could be a secret. GLib only.
 */
#ifndef __SEECITV_SERVE_CONFIG_H__
#define __SEECITV_SERVE_CONFIG_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_SERVE_CONFIG_ERROR (seecitv_serve_config_error_quark ())
GQuark seecitv_serve_config_error_quark (void);

typedef enum
{
  SEECITV_SERVE_CONFIG_ERROR_SYNTAX,    /* not a key file */
  SEECITV_SERVE_CONFIG_ERROR_UNKNOWN,   /* unknown group or key */
  SEECITV_SERVE_CONFIG_ERROR_MISSING,   /* a required key is absent */
  SEECITV_SERVE_CONFIG_ERROR_INVALID,   /* a value is malformed or out of range */
  SEECITV_SERVE_CONFIG_ERROR_DUPLICATE, /* two devices with one id */
  SEECITV_SERVE_CONFIG_ERROR_NO_DEVICE  /* no [device NAME] group */
} SeecitvServeConfigError;

#define SEECITV_SERVE_MAX_DEVICES 64
#define SEECITV_SERVE_DEFAULT_RTSP_PORT 8554
#define SEECITV_SERVE_DEFAULT_ONVIF_PORT 8000
#define SEECITV_SERVE_DEFAULT_MAX_AUTH_FAILURES 5
#define SEECITV_SERVE_DEFAULT_LOCKOUT_MS 30000
#define SEECITV_SERVE_DEFAULT_BITRATE 2048      /* kbit/s */
#define SEECITV_SERVE_DEFAULT_KEY_INTERVAL 30   /* frames */
#define SEECITV_SERVE_MAX_ENCODER_THREADS 64
#define SEECITV_SERVE_DEFAULT_QUEUE_SIZE 256
#define SEECITV_SERVE_DEFAULT_RETRY_INITIAL_MS 1000
#define SEECITV_SERVE_DEFAULT_RETRY_MAX_MS 60000
#define SEECITV_SERVE_DEFAULT_WEBHOOK_TIMEOUT_S 10
#define SEECITV_SERVE_DEFAULT_CAMERA_RETRY_INITIAL_MS 1000
#define SEECITV_SERVE_DEFAULT_CAMERA_RETRY_MAX_MS 30000
#define SEECITV_SERVE_DEFAULT_CAMERA_TIMEOUT_MS 5000
#define SEECITV_SERVE_MAX_CAMERA_STREAM 15

typedef enum
{
  SEECITV_SERVE_RECORD_MOTION,
  SEECITV_SERVE_RECORD_CONTINUOUS
} SeecitvServeRecord;

/* One [device NAME] group. Strings are owned; NULL when absent. */
typedef struct
{
  gchar *group;                 /* "device NAME", for messages */
  gchar *id;                    /* `id`, else NAME: a valid device id */
  gchar *url;                   /* seecitvsrc location, or an RTSP camera */
  gchar *pin;                   /* sha256:<64 hex> */
  gchar *key_file;              /* pairing secret for seecitvsrc */
  gchar *user;                  /* HTTP Basic/Digest user */
  gchar *password_file;         /* its password */
  gchar *pipeline;              /* instead of url: raw video source */
  gchar *zones;                 /* privacy polygons (seecitvredact) */
  gchar *motion_zones;          /* named zones (seecitvmotion) */
  gchar *recording_dir;         /* with keystore: record (seecitvsink) */
  gchar *keystore;
  SeecitvServeRecord record;
  gboolean detect_faces;
  guint bitrate;                /* kbit/s */
  guint key_interval;           /* frames */
  guint encoder_threads;        /* x264enc threads, 0: one per core */
  /* `url` is rtsp:// or rtsps:// (serve-camera.h); the rest only then */
  gboolean camera;
  gboolean camera_tcp;          /* `transport`: tcp (default) or udp */
  guint camera_stream;          /* `stream`: which video stream, from 0 */
  guint camera_retry_initial_ms;
  guint camera_retry_max_ms;
  guint camera_timeout_ms;      /* no frame this long: reconnect */
} SeecitvServeDevice;

typedef struct
{
  gchar *path;                  /* as given, for messages */
  gboolean rtsp;                /* an [rtsp] group is present */
  gchar *rtsp_address;
  guint rtsp_port;              /* 0: any free port */
  gchar *rtsp_credentials_file;
  guint rtsp_max_auth_failures;  /* wrong logins before a lock-out; 0: none */
  guint rtsp_lockout_ms;        /* first lock-out */
  gchar *rtsp_tls_cert_file;    /* PEM; with rtsp_tls_key_file: rtsps */
  gchar *rtsp_tls_key_file;
  gboolean rtsp_tls_self_signed;        /* rtsps with a generated one */
  gchar *rtsp_tls_self_signed_file;     /* where it is kept; NULL: the
                                         * state directory */
  gboolean onvif;               /* an [onvif] group is present (needs rtsp) */
  gchar *onvif_address;
  guint onvif_port;             /* 0: any free port */
  gchar *onvif_credentials_file;        /* ONVIF accounts, valid for RTSP too */
  gchar *onvif_name;            /* the device name NVRs show */
  gchar *webhook_url;           /* NULL: no webhooks */
  gchar *webhook_secret_file;
  guint webhook_queue_size;
  guint webhook_retry_initial_ms;
  guint webhook_retry_max_ms;
  guint webhook_timeout_s;
  GPtrArray *devices;           /* of SeecitvServeDevice, in file order */
} SeecitvServeConfig;

/* Parses @len bytes of @data (a key file) read from @path (used only in
 * messages). Returns a new config (free with seecitv_serve_config_free ())
 * or NULL with @error set (SEECITV_SERVE_CONFIG_ERROR): "PATH: [GROUP] KEY:
 * what is wrong". */
SeecitvServeConfig *seecitv_serve_config_parse (const gchar * data,
    gsize len, const gchar * path, GError ** error);

/* Reads @path and parses it; file errors are G_FILE_ERROR. */
SeecitvServeConfig *seecitv_serve_config_load (const gchar * path,
    GError ** error);

void seecitv_serve_config_free (SeecitvServeConfig * config);

typedef struct
{
  gchar *user;
  gchar *password;              /* wiped on free */
} SeecitvServeCredential;

/* Parses an RTSP credentials file: one `user:password` per line, blank
 * lines and lines starting with '#' ignored; the user is 1-64 characters of
 * [A-Za-z0-9._-], the password 1-256 bytes of printable UTF-8 (it may hold
 * ':'). Returns a GPtrArray of SeecitvServeCredential (free with
 * g_ptr_array_unref (), which wipes the passwords) with at least one entry,
 * or NULL with @error naming @path and the line number (never the line). */
GPtrArray *seecitv_serve_credentials_parse (const gchar * data, gsize len,
    const gchar * path, GError ** error);

/* Reads a secret file (webhook secret, device password): its bytes less
 * trailing "\r\n" and spaces. Refuses an empty secret, one shorter than
 * @min_len bytes, and a file readable by group or others (permissions are
 * checked before reading). Returns the secret (free with
 * seecitv_serve_secret_free ()) and its length, or NULL with @error
 * naming @path. */
gchar *seecitv_serve_secret_load (const gchar * path, gsize min_len,
    gsize * len, GError ** error);

/* Wipes and frees a secret of @len bytes from seecitv_serve_secret_load. */
void seecitv_serve_secret_free (gchar * secret, gsize len);

G_END_DECLS

#endif /* __SEECITV_SERVE_CONFIG_H__ */
