/* Tables of text for the app's views, built from plain labels: each column has a width in
 * characters and a size group, so every row's cells line up whatever their font; a text too
 * long for its column is cut with an ellipsis. The last column can wrap instead, onto as
 * many lines as it needs in the width the row leaves it (a list of models): it starts where
 * the others end, so it needs no size group. A row is a horizontal GtkBox of labels. */
#pragma once
#include <gtk/gtk.h>

#define TEXT_TABLE_MAX_COLUMNS 8

typedef struct {
  guint n;                      /* columns */
  const int *widths;            /* characters per column, borrowed (static) */
  guint wrapped;                /* bit i: column i wraps instead of being cut */
  GtkSizeGroup *groups[TEXT_TABLE_MAX_COLUMNS];   /* owned */
} TextTable;

void text_table_init(TextTable *table, const int *widths, guint n);
void text_table_clear(TextTable *table);
/* Makes the last column wrap its text in the rows made from now on. */
void text_table_wrap_column(TextTable *table, guint column);
/* A new row of the table with a cell per column (copied), carrying the CSS class css. */
GtkWidget *text_table_row(const TextTable *table, const char *const *cells, const char *css);
/* The row's cells as one line separated by " | " (freeing), for tests and logs. */
char *text_table_row_text(GtkWidget *row);
/* TRUE when a cell of the drawn row shows its text cut short (for tests). */
gboolean text_table_row_is_cut(GtkWidget *row);
/* Removes every row of box. */
void text_table_clear_rows(GtkWidget *box);
