/* A widget to PNG through its native's renderer (see screenshot.h). */
#include "ui/screenshot.h"

gboolean screenshot_save(GtkWidget *widget, const char *path, GError **error)
{
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  GtkNative *native = gtk_widget_get_native(widget);
  if (width <= 0 || height <= 0 || !native) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "the view is not on screen yet, so it cannot be saved as a picture");
    return FALSE;
  }
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, snapshot, width, height);
  g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(g_steal_pointer(&snapshot));
  if (!node) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the view drew nothing");
    return FALSE;
  }
  graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, width, height);
  g_autoptr(GdkTexture) texture =
      gsk_renderer_render_texture(gtk_native_get_renderer(native), node, &bounds);
  if (!gdk_texture_save_to_png(texture, path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "cannot write the picture to %s: check the folder exists and is writable", path);
    return FALSE;
  }
  return TRUE;
}
