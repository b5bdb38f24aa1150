/* Tables of text for the app's views (see text_table.h). */
#include "ui/text_table.h"

void text_table_init(TextTable *table, const int *widths, guint n)
{
  g_return_if_fail(n <= TEXT_TABLE_MAX_COLUMNS);
  *table = (TextTable){.n = n, .widths = widths};
  for (guint i = 0; i < n; i++)
    table->groups[i] = gtk_size_group_new(GTK_SIZE_GROUP_HORIZONTAL);
}

void text_table_clear(TextTable *table)
{
  for (guint i = 0; i < table->n; i++)
    g_clear_object(&table->groups[i]);
}

void text_table_wrap_column(TextTable *table, guint column)
{
  g_return_if_fail(column + 1 == table->n);
  table->wrapped |= 1u << column;
}

GtkWidget *text_table_row(const TextTable *table, const char *const *cells, const char *css)
{
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_add_css_class(row, css);
  for (guint i = 0; i < table->n; i++) {
    GtkWidget *label = gtk_label_new(cells[i]);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_yalign(GTK_LABEL(label), 0);   /* a wrapped cell's row reads from the top */
    gtk_label_set_width_chars(GTK_LABEL(label), table->widths[i]);
    gtk_label_set_max_width_chars(GTK_LABEL(label), table->widths[i]);
    if (table->wrapped & (1u << i)) {
      gtk_label_set_wrap(GTK_LABEL(label), TRUE);
      gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_set_hexpand(label, TRUE);
    } else {
      gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
      gtk_size_group_add_widget(table->groups[i], label);
    }
    gtk_box_append(GTK_BOX(row), label);
  }
  return row;
}

char *text_table_row_text(GtkWidget *row)
{
  GString *text = g_string_new(NULL);
  for (GtkWidget *c = gtk_widget_get_first_child(row); c; c = gtk_widget_get_next_sibling(c))
    g_string_append_printf(text, "%s%s", text->len ? " | " : "",
                           gtk_label_get_text(GTK_LABEL(c)));
  return g_string_free(text, FALSE);
}

void text_table_clear_rows(GtkWidget *box)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(box)))
    gtk_box_remove(GTK_BOX(box), child);
}

gboolean text_table_row_is_cut(GtkWidget *row)
{
  for (GtkWidget *c = gtk_widget_get_first_child(row); c; c = gtk_widget_get_next_sibling(c))
    if (pango_layout_is_ellipsized(gtk_label_get_layout(GTK_LABEL(c))))
      return TRUE;
  return FALSE;
}
