/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvdecrypt: the GObject side of the clip reader (clip.h), keys from
 * the keystore (keystore.h). The format is docs/clip-format.md.
 */
#ifndef __GST_SEECITV_DECRYPT_H__
#define __GST_SEECITV_DECRYPT_H__

#include <gst/gst.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_DECRYPT (seecitv_decrypt_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvDecrypt, seecitv_decrypt, SEECITV, DECRYPT,
    GstElement)

struct _SeecitvDecrypt
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, protected by the object lock */
  gchar *keystore;
  gchar *passphrase_file;
  SeecitvAccessAction purpose;
  gboolean started;             /* READY->PAUSED ran: properties frozen */

  /* stream state: the streaming thread (serialised by the sink pad's
   * stream lock) and state changes */
  SeecitvKeystore *ks;          /* opened at READY->PAUSED */
  SeecitvClipReader *reader;
  GByteArray *out;              /* plaintext not pushed yet */
  gboolean caps_sent;           /* caps and segment pushed */
  gboolean failed;              /* an error was posted: drop the rest */
  gboolean logged;              /* the access log entry is written */
  /* The clip's state in the index when its reading was logged; RECORDING
   * when not indexed */
  SeecitvClipState index_state;
  SeecitvAccessAction cur_purpose;      /* purpose, copied at start */
  guint64 offset;               /* plaintext bytes pushed */
};

GST_ELEMENT_REGISTER_DECLARE (seecitvdecrypt);

G_END_DECLS

#endif /* __GST_SEECITV_DECRYPT_H__ */
