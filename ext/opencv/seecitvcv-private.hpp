/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the C++ files of the OpenCV adapter share and nothing outside them
 * sees: the exception-to-GError wrapper and the image checks.
 */
#ifndef __SEECITV_CV_PRIVATE_HPP__
#define __SEECITV_CV_PRIVATE_HPP__

#include "seecitvcv.h"

#include <opencv2/core.hpp>
#include <exception>

/* Wraps the body of an exported function: exceptions become GErrors. */
#define SEECITV_CV_TRY try
#define SEECITV_CV_CATCH(error, context)                                   \
  catch (const cv::Exception & e) {                                     \
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,      \
        "%s: OpenCV error: %s", context, e.what ());                       \
    return FALSE;                                                       \
  } catch (const std::exception & e) {                                  \
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,      \
        "%s: %s", context, e.what ());                                     \
    return FALSE;                                                       \
  } catch (...) {                                                       \
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_OPENCV,      \
        "%s: unknown C++ exception", context);                             \
    return FALSE;                                                       \
  }

/* FALSE with @error set unless the image description is usable. */
bool seecitv_cv_check_image (int width, int height, int stride, int channels,
    GError ** error);

/* Called by every constructor of the adapter: see seecitv_cv_threads. */
void seecitv_cv_one_thread (void);

#endif /* __SEECITV_CV_PRIVATE_HPP__ */
