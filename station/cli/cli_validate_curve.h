/* station validate --curve: the detection curve of one defect (see detection_curve.h). */
#pragma once
#include "station/detection_curve.h"

/* Runs and prints the curve; the exit code: EXIT_PASS when no board failed at the harmless
 * size, every board failed at the gross size and every run could test, else EXIT_FAIL
 * (EXIT_USAGE for a defect without a size, EXIT_ERROR when it could not run). */
int cli_validate_curve(const Catalog *catalog, const CurveRequest *request,
                       ValidateProgressFunc progress);
