/* The shift start's golden boards and their checks (golden.h). */
#include "db/golden.h"
#include "db/store_sql.h"

#define BOARD_COLUMNS "serial, expect, fixture_id, reference_run_id, changed_at, changed_by"
#define CHECK_COLUMNS "id, fixture_id, day, shift, serial, expect, run_id, outcome, reason, " \
                      "checked_at, checked_by"

void golden_board_row_free(GoldenBoardRow *row)
{
  if (!row)
    return;
  g_free(row->serial);
  g_free(row->expect);
  g_free(row->fixture_id);
  g_free(row->changed_at);
  g_free(row->changed_by);
  g_free(row);
}

void golden_check_row_free(GoldenCheckRow *row)
{
  if (!row)
    return;
  char **fields[] = {&row->fixture_id, &row->day, &row->serial, &row->expect, &row->outcome,
                     &row->reason, &row->checked_at, &row->checked_by};
  for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
    g_free(*fields[i]);
  g_free(row);
}

char *golden_board_describe(const GoldenBoardRow *board)
{
  g_autofree char *reference = board->reference_run_id
      ? g_strdup_printf("run %" G_GINT64_FORMAT, board->reference_run_id) : g_strdup("none");
  return g_strdup_printf("expect=%s fixture=%s reference=%s", board->expect,
                         board->fixture_id ? board->fixture_id : "any", reference);
}

/* Reads the text columns of a row into fields (freeing). */
static void read_texts(sqlite3_stmt *statement, const int *columns, char **const *fields,
                       guint n)
{
  for (guint i = 0; i < n; i++)
    *fields[i] = sql_column_text(statement, columns[i]);
}

/* A row of BOARD_COLUMNS. */
static gpointer read_board(sqlite3_stmt *statement)
{
  GoldenBoardRow *row = g_new0(GoldenBoardRow, 1);
  static const int texts[] = {0, 1, 2, 4, 5};
  char **const fields[] = {&row->serial, &row->expect, &row->fixture_id, &row->changed_at,
                           &row->changed_by};
  read_texts(statement, texts, fields, G_N_ELEMENTS(texts));
  row->reference_run_id = sqlite3_column_int64(statement, 3);
  return row;
}

/* A row of CHECK_COLUMNS. */
static gpointer read_check(sqlite3_stmt *statement)
{
  GoldenCheckRow *row = g_new0(GoldenCheckRow, 1);
  static const int texts[] = {1, 2, 4, 5, 7, 8, 9, 10};
  char **const fields[] = {&row->fixture_id, &row->day, &row->serial, &row->expect,
                           &row->outcome, &row->reason, &row->checked_at, &row->checked_by};
  read_texts(statement, texts, fields, G_N_ELEMENTS(texts));
  row->id = sqlite3_column_int64(statement, 0);
  row->shift = sqlite3_column_int(statement, 3);
  row->run_id = sqlite3_column_int64(statement, 6);
  return row;
}

/* The rows of a query (read into rows freed by free_row), its parameters texts as ?1..?n and
 * the number after them when it has one; NULL with the error. */
static GPtrArray *select_rows(Store *store, const char *sql, const char *const *texts,
                              guint n_texts, int number, gpointer (*read)(sqlite3_stmt *),
                              GDestroyNotify free_row, const char *doing, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(free_row);
  int rc = SQLITE_ERROR;
  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, sql, &statement, doing, error)) {
    for (guint i = 0; i < n_texts; i++)
      sql_bind_text(statement, (int)i + 1, texts[i]);
    if (sqlite3_bind_parameter_count(statement) > (int)n_texts)
      sqlite3_bind_int(statement, (int)n_texts + 1, number);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
      g_ptr_array_add(rows, read(statement));
    if (rc != SQLITE_DONE)
      store_set_sql_error(store, error, rc, doing);
    sqlite3_finalize(statement);
  }
  g_mutex_unlock(&store->lock);
  return rc == SQLITE_DONE ? g_steal_pointer(&rows) : NULL;
}

/* The board of this serial; removed ones too when `removed` is given (set to whether it is). */
static GoldenBoardRow *find_locked(Store *store, const char *serial, gboolean *removed,
                                   GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT " BOARD_COLUMNS ", removed_at IS NOT NULL FROM golden_boards "
                   "WHERE serial = ?1 AND (?2 OR removed_at IS NULL)", &statement,
                   "looking up a golden board", error))
    return NULL;
  sql_bind_text(statement, 1, serial);
  sqlite3_bind_int(statement, 2, removed != NULL);
  int rc = sqlite3_step(statement);
  GoldenBoardRow *row = NULL;
  if (rc == SQLITE_ROW) {
    row = read_board(statement);
    if (removed)
      *removed = sqlite3_column_int(statement, 6);
  } else if (rc == SQLITE_DONE) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "%s is not a golden board of this station (station golden lists them; an "
                "engineer registers one with station golden add SERIAL --expect pass|fail)",
                serial);
  } else {
    store_set_sql_error(store, error, rc, "looking up a golden board");
  }
  sqlite3_finalize(statement);
  return row;
}

/* A reference run is a stored PASS run of the board. */
static gboolean check_reference_locked(Store *store, const GoldenBoardRow *board,
                                       GError **error)
{
  if (!board->reference_run_id)
    return TRUE;
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT 1 FROM runs WHERE id = ?1 AND serial = ?2 AND "
                   "outcome = 'PASS'", &statement, "looking up a reference run", error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, board->reference_run_id);
  sql_bind_text(statement, 2, board->serial);
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "run %" G_GINT64_FORMAT " is not a passing run of %s, so it cannot give its "
                "reference values (station runs --serial %s lists its runs)",
                board->reference_run_id, board->serial, board->serial);
  else
    store_set_sql_error(store, error, rc, "looking up a reference run");
  return FALSE;
}

static gboolean put_locked(Store *store, const char *actor, const GoldenBoardRow *board,
                           GError **error)
{
  if (!check_reference_locked(store, board, error))
    return FALSE;
  gboolean removed = FALSE;
  g_autoptr(GoldenBoardRow) old = find_locked(store, board->serial, &removed, NULL);
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO golden_boards (" BOARD_COLUMNS ", removed_at) VALUES "
                   "(?1, ?2, ?3, nullif(?4, 0), ?5, ?6, NULL) ON CONFLICT (serial) DO UPDATE "
                   "SET expect = ?2, fixture_id = ?3, reference_run_id = nullif(?4, 0), "
                   "changed_at = ?5, changed_by = ?6, removed_at = NULL", &statement,
                   "registering a golden board", error))
    return FALSE;
  sql_bind_text(statement, 1, board->serial);
  sql_bind_text(statement, 2, board->expect);
  sql_bind_text(statement, 3, board->fixture_id);
  sqlite3_bind_int64(statement, 4, board->reference_run_id);
  sql_bind_text(statement, 5, now);
  sql_bind_text(statement, 6, actor);
  if (!sql_step_done(store, statement, "registering a golden board", error))
    return FALSE;
  g_autofree char *before = NULL;
  if (old) {
    g_autofree char *values_before = golden_board_describe(old);
    before = removed ? g_strdup_printf("removed, was %s", values_before)
                     : g_steal_pointer(&values_before);
  }
  g_autofree char *after = golden_board_describe(board);
  return sql_audit_change(store, now, actor, old && !removed ? "golden.change" : "golden.add",
                          board->serial, before, after, error);
}

static gboolean remove_locked(Store *store, const char *actor, const char *serial,
                              GError **error)
{
  g_autoptr(GoldenBoardRow) old = find_locked(store, serial, NULL, error);
  if (!old)
    return FALSE;
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "UPDATE golden_boards SET removed_at = ?2, changed_by = ?3 "
                   "WHERE serial = ?1", &statement, "removing a golden board", error))
    return FALSE;
  sql_bind_text(statement, 1, serial);
  sql_bind_text(statement, 2, now);
  sql_bind_text(statement, 3, actor);
  g_autofree char *before = golden_board_describe(old);
  return sql_step_done(store, statement, "removing a golden board", error) &&
         sql_audit_change(store, now, actor, "golden.remove", serial, before, NULL, error);
}

gboolean store_golden_put(Store *store, const char *actor, const GoldenBoardRow *board,
                          GError **error)
{
  g_return_val_if_fail(store != NULL && board != NULL && board->serial != NULL, FALSE);
  gboolean ok;
  SQL_IN_TRANSACTION(store, "changing golden boards", error,
                     put_locked(store, actor, board, error));
  return ok;
}

gboolean store_golden_remove(Store *store, const char *actor, const char *serial,
                             GError **error)
{
  g_return_val_if_fail(store != NULL && serial != NULL, FALSE);
  gboolean ok;
  SQL_IN_TRANSACTION(store, "changing golden boards", error,
                     remove_locked(store, actor, serial, error));
  return ok;
}

GoldenBoardRow *store_golden_find(Store *store, const char *serial, GError **error)
{
  g_return_val_if_fail(store != NULL && serial != NULL, NULL);
  g_mutex_lock(&store->lock);
  GoldenBoardRow *row = find_locked(store, serial, NULL, error);
  g_mutex_unlock(&store->lock);
  return row;
}

GPtrArray *store_golden_list(Store *store, const char *fixture_id, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *texts[] = {fixture_id};
  return select_rows(store, "SELECT " BOARD_COLUMNS " FROM golden_boards WHERE removed_at IS "
                     "NULL AND (?1 IS NULL OR fixture_id IS NULL OR fixture_id = ?1) ORDER BY "
                     "serial", texts, G_N_ELEMENTS(texts), 0, read_board,
                     (GDestroyNotify)golden_board_row_free, "listing golden boards", error);
}

static gboolean check_add_locked(Store *store, const GoldenCheckRow *check, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO golden_checks (fixture_id, day, shift, serial, expect, "
                   "run_id, outcome, reason, checked_at, checked_by) VALUES (?1, ?2, ?3, ?4, "
                   "?5, nullif(?6, 0), ?7, ?8, ?9, ?10)", &statement,
                   "storing a golden check", error))
    return FALSE;
  g_autofree char *now = sql_timestamp_now();
  sql_bind_text(statement, 1, check->fixture_id);
  sql_bind_text(statement, 2, check->day);
  sqlite3_bind_int(statement, 3, check->shift);
  sql_bind_text(statement, 4, check->serial);
  sql_bind_text(statement, 5, check->expect);
  sqlite3_bind_int64(statement, 6, check->run_id);
  sql_bind_text(statement, 7, check->outcome);
  sql_bind_text(statement, 8, check->reason);
  sql_bind_text(statement, 9, check->checked_at ? check->checked_at : now);
  sql_bind_text(statement, 10, check->checked_by);
  if (!sql_step_done(store, statement, "storing a golden check", error))
    return FALSE;
  if (!sql_prepare(store, "UPDATE golden_boards SET reference_run_id = ?2 WHERE serial = ?1 "
                   "AND reference_run_id IS NULL AND expect = 'pass' AND ?3 = 'PASS' AND "
                   "?2 <> 0", &statement, "storing a golden board's reference", error))
    return FALSE;
  sql_bind_text(statement, 1, check->serial);
  sqlite3_bind_int64(statement, 2, check->run_id);
  sql_bind_text(statement, 3, check->outcome);
  return sql_step_done(store, statement, "storing a golden board's reference", error);
}

gboolean store_golden_check_add(Store *store, const GoldenCheckRow *check, GError **error)
{
  g_return_val_if_fail(store != NULL && check != NULL && check->fixture_id != NULL, FALSE);
  gboolean ok;
  SQL_IN_TRANSACTION(store, "storing a golden check", error,
                     check_add_locked(store, check, error));
  return ok;
}

GPtrArray *store_golden_latest_checks(Store *store, const char *fixture_id, const char *day,
                                      int shift, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *texts[] = {fixture_id, day};
  return select_rows(store, "SELECT " CHECK_COLUMNS " FROM golden_checks WHERE id IN (SELECT "
                     "max(id) FROM golden_checks WHERE (?1 IS NULL OR fixture_id = ?1) AND "
                     "(?2 IS NULL OR day = ?2) AND (?3 = 0 OR shift = ?3) GROUP BY serial, "
                     "fixture_id) ORDER BY serial, fixture_id", texts, G_N_ELEMENTS(texts),
                     shift, read_check, (GDestroyNotify)golden_check_row_free,
                     "reading golden checks", error);
}
