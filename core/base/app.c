#include "app.h"

app *the_app;

const struct conf *app_conf(void)
{
    return the_app->conf;
}
