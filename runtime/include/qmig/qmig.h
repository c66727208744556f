/*
 * qmig/qmig.h - everything libqmig exports.
 */
#ifndef QMIG_QMIG_H
#define QMIG_QMIG_H

#include "qmig/config.h"
#include "qmig/error.h"
#include "qmig/handshake.h"
#include "qmig/json.h"
#include "qmig/version.h"

#endif /* QMIG_QMIG_H */
