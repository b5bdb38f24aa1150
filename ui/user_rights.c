/* What a user may do in the app (see user_rights.h). */
#include "ui/user_rights.h"

gboolean user_rights_check(Store *store, const char *user, UserRole needed, const char *what,
                           GError **error)
{
  g_autoptr(GError) denied = NULL;
  if (store_user_authorize(store, user, needed, what, &denied))
    return TRUE;
  if (g_error_matches(denied, USER_ERROR, USER_ERROR_DENIED) &&
      store_user_authorize(store, user, USER_ROLE_ADMIN, what, NULL))
    return TRUE;
  g_propagate_error(error, g_steal_pointer(&denied));
  return FALSE;
}
