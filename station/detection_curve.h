/* Detection curves, the station's smallest defect: twin boards with one defect at a series
 * of sizes from harmless (a size a good board can show, inside every limit) to gross (beyond
 * the limits on every board), the same boards and orders at every size, and per size how
 * many the station failed, with the 95 % interval of that detection probability and where
 * the curve crosses 50 % and 95 %. */
#pragma once
#include <glib.h>
#include "station/detection_stats.h"
#include "station/validate.h"

/* The sizes of one defect with a size. */
typedef struct {
  const char *defect;           /* catalog name, e.g. "cell-offset" */
  const char *unit;             /* of its size: "mV", "%", "us", "uA", "x" */
  double harmless;              /* up to this size every good board stays inside the limits:
                                 * every board must pass */
  double limit;                 /* the size at which a board of nominal values (no error of
                                 * its own) reaches its test limit */
  double gross;                 /* from this size every board is beyond the limits: every
                                 * board must fail */
  const char *limit_source;     /* the test limit and the good boards' spread behind them */
} CurveScale;

typedef enum {
  ZONE_HARMLESS,                /* size <= harmless: a failing board is a false fail */
  ZONE_MARGINAL,                /* between: the curve rises */
  ZONE_GROSS                    /* size >= gross: a passing board is an escape */
} CurveZone;

typedef struct {
  double size;                  /* in the scale's unit */
  CurveZone zone;
  int boards;                   /* boards tested at this size (runs that could not test are
                                 * not among them) */
  int detected;                 /* of them, FAIL */
  int at_step;                  /* of those, first failed at the step that tests the defect */
  int errors;                   /* runs that ended ERROR or ABORTED */
  double low, high;             /* 95 % Wilson interval of detected / boards */
} CurvePoint;

typedef struct {
  const char *fixture_path;     /* a fixture description with a [twin] group */
  const char *defect;           /* a defect with a scale (detection_curve_scale) */
  int boards_per_size;          /* >= 1 */
  int sizes;                    /* >= 2: harmless, gross and evenly between */
  guint32 seed;                 /* the boards, their orders, the defect's cell and sign */
} CurveRequest;

typedef struct {
  const CurveScale *scale;
  GArray *points;               /* CurvePoint, by increasing size (owned) */
  CrossingKind kind50, kind95;
  double size50, size95;        /* where detection reaches 50 % and 95 % for good */
  int false_fails;              /* boards failed at harmless sizes */
  int gross_escapes;            /* boards passed at gross sizes */
  int errors;                   /* runs that could not test, at any size */
} CurveResult;

/* The scale of a defect, NULL when it has none (a whole defect, an unknown name). */
const CurveScale *detection_curve_scale(const char *defect);
/* The defects with a scale, in catalog order (NULL-terminated). */
const char *const *detection_curve_defects(void);
/* Runs the boards of every size (progress as validate_run's, for each board of each size)
 * and fills *result. FALSE only when it could not run (fixture, database, a defect without
 * a scale). */
gboolean detection_curve_run(const Catalog *catalog, const CurveRequest *request,
                             CurveResult *result, ValidateProgressFunc progress,
                             gpointer user_data, GError **error);
void detection_curve_result_clear(CurveResult *result);
/* The zone's name: "harmless", "marginal", "gross". */
const char *detection_curve_zone_name(CurveZone zone);
