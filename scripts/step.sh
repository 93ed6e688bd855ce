#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# step.sh NAME CMD...: run CMD under a header with its elapsed time.
. "$(dirname "$0")/lib.sh"
step "$@"
