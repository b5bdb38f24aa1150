/* The app's window and its views (see station_window.h). */
#include "ui/station_window.h"
#include "ui/app_resources.h"

struct _StationWindow {
  GtkApplicationWindow parent_instance;
  GtkStack *stack;
  GtkStackSwitcher *switcher;
};

G_DEFINE_FINAL_TYPE(StationWindow, station_window, GTK_TYPE_APPLICATION_WINDOW)

static void station_window_init(StationWindow *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}

static void station_window_dispose(GObject *object)
{
  gtk_widget_dispose_template(GTK_WIDGET(object), STATION_TYPE_WINDOW);
  G_OBJECT_CLASS(station_window_parent_class)->dispose(object);
}

static void station_window_class_init(StationWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = station_window_dispose;
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/station-window.ui");
  gtk_widget_class_bind_template_child(widget_class, StationWindow, stack);
  gtk_widget_class_bind_template_child(widget_class, StationWindow, switcher);
}

StationWindow *station_window_new(GtkApplication *app)
{
  return g_object_new(STATION_TYPE_WINDOW, "application", app, NULL);
}

void station_window_add_view(StationWindow *self, const char *name, const char *title,
                             GtkWidget *view)
{
  gtk_stack_add_titled(self->stack, view, name, title);
}

static GtkStackPage *page_of(StationWindow *self, const char *name)
{
  GtkWidget *child = gtk_stack_get_child_by_name(self->stack, name);
  return child ? gtk_stack_get_page(self->stack, child) : NULL;
}

gboolean station_window_show_view(StationWindow *self, const char *name)
{
  GtkStackPage *page = page_of(self, name);
  if (!page || !gtk_stack_page_get_visible(page))
    return FALSE;
  gtk_stack_set_visible_child_name(self->stack, name);
  return TRUE;
}

void station_window_set_view_offered(StationWindow *self, const char *name, gboolean offered)
{
  GtkStackPage *page = page_of(self, name);
  if (page)
    gtk_stack_page_set_visible(page, offered);
}

char *station_window_view_names(StationWindow *self)
{
  GString *names = g_string_new(NULL);
  g_autoptr(GListModel) pages = G_LIST_MODEL(gtk_stack_get_pages(self->stack));
  for (guint i = 0; i < g_list_model_get_n_items(pages); i++) {
    g_autoptr(GObject) item = g_list_model_get_item(pages, i);
    GtkStackPage *page = GTK_STACK_PAGE(item);
    if (gtk_stack_page_get_visible(page))
      g_string_append_printf(names, "%s%s", names->len ? ", " : "",
                             gtk_stack_page_get_name(page));
  }
  return g_string_free(names, FALSE);
}

const char *station_window_shown_view(StationWindow *self)
{
  return gtk_stack_get_visible_child_name(self->stack);
}
