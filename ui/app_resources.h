/* The app's GResource (styles, .ui templates), registered once before anything loads from
 * it. Registered by hand: a static library's constructor would be dropped by the linker. */
#pragma once

void app_resources_ensure(void);
/* Gives the default display the app's styles (style.css), as the app and the tests that
 * measure its views see them. */
void app_resources_load_styles(void);
