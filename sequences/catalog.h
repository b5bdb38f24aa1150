/* The model catalog: every JK Smart Active BMS model the station tests, with the datasheet
 * values its limits are derived from. The data lives in sequences/models.tsv (the cleaned
 * datasheet table); this module loads it and answers look-ups. */
#pragma once
#include <glib.h>

#define CATALOG_ERROR (catalog_error_quark())
GQuark catalog_error_quark(void);
typedef enum {
  CATALOG_ERROR_FILE,         /* the table could not be read */
  CATALOG_ERROR_FORMAT,       /* a row or column is malformed (message names line and column) */
  CATALOG_ERROR_UNKNOWN_MODEL /* look-up of a model the catalog does not hold */
} CatalogErrorCode;

typedef enum { CHEMISTRY_LIION, CHEMISTRY_LFP, CHEMISTRY_LTO, CHEMISTRY_COUNT } Chemistry;

typedef struct {
  int min;                      /* cells in series, lowest supported */
  int max;                      /* cells in series, highest supported */
} CellRange;

typedef struct {
  char *name;                   /* e.g. "B2A24S15P", owned */
  double balance_a;             /* A, active balance current */
  CellRange strings[CHEMISTRY_COUNT]; /* supported series cell counts per chemistry */
  double path_mohm;             /* mΩ, main current path resistance; NAN when not given */
  double cont_discharge_a;      /* A, continuous discharge current */
  double cont_charge_a;         /* A, continuous charge current */
  double max_discharge_2min_a;  /* A, 2-minute maximum discharge; NAN when not given */
  double ocp_min_a;             /* A, lowest settable over-current threshold */
  double ocp_max_a;             /* A, highest settable over-current threshold */
  char *default_ports;          /* comma list, e.g. "RS485,CANBUS", owned */
  char *custom_ports;           /* comma list of options, "" when none, owned */
  gboolean heater;              /* heater option available */
  double heater_max_w;          /* W, maximum heating power; NAN without heater */
  char *size_mm;                /* "LxWxH", "" when not given, owned */
  char *wiring;                 /* "common" or "split" port, owned */
} ModelInfo;

typedef struct Catalog Catalog;

/* Loads a catalog table (TSV with the header of sequences/models.tsv). */
Catalog *catalog_load(const char *path, GError **error);
/* Loads sequences/models.tsv from the station's data directory (see sequences_path()). */
Catalog *catalog_load_default(GError **error);
void catalog_free(Catalog *catalog);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Catalog, catalog_free)

guint catalog_count(const Catalog *catalog);
const ModelInfo *catalog_nth(const Catalog *catalog, guint index);
/* Exact, case-sensitive look-up; NULL with CATALOG_ERROR_UNKNOWN_MODEL listing nothing. */
const ModelInfo *catalog_find(const Catalog *catalog, const char *name, GError **error);

const char *chemistry_name(Chemistry chemistry);          /* "Li-ion", "LiFePO4", "LTO" */
const char *chemistry_key(Chemistry chemistry);           /* "liion", "lfp", "lto" */
gboolean chemistry_from_string(const char *text, Chemistry *out); /* accepts key or name */

/* The model's numeric datasheet values by name, for limits and sequences that refer to them:
 * "balance_a", "path_mohm", "cont_discharge_a", "cont_charge_a", "max_discharge_2min_a",
 * "ocp_min_a", "ocp_max_a", "heater_max_w" (NULL-terminated). */
const char *const *model_info_number_fields(void);
/* The value of one of those fields (NAN when the datasheet gives none); FALSE for an
 * unknown field name. */
gboolean model_info_number(const ModelInfo *model, const char *field, double *out);
