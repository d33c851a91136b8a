/* The module tree under a base directory, as the disk plugin lays it out. */
#include "disk_tree.h"

#include "disk_path.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int walk_dir(const char *base, const char *rel, disk_vdir_fn visit, void *arg, int depth)
{
    char path[PATH_MAX * 2 + 2];
    snprintf(path, sizeof(path), "%s/%s", base, rel);
    DIR *dp = depth <= 64 ? opendir(path) : NULL;
    int stop = 0;
    for (struct dirent *e; dp != NULL && !stop && (e = readdir(dp)) != NULL;) {
        if (e->d_name[0] == '.' || (depth == 0 && strcmp(e->d_name, "sumdb") == 0) || e->d_type != DT_DIR)
            continue;
        char sub[PATH_MAX], module[PATH_MAX];
        if (strcmp(e->d_name, "@v") == 0) {
            char vpath[sizeof(path) + 4];
            snprintf(vpath, sizeof(vpath), "%s/@v", path);
            DIR *vd = *rel != '\0' && disk_unescape(rel, module, sizeof(module)) == 0 ? opendir(vpath) : NULL;
            if (vd != NULL) {
                stop = visit(arg, module, vd);
                closedir(vd);
            }
        } else if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name) < (int)sizeof(sub)) {
            stop = walk_dir(base, sub, visit, arg, depth + 1);
        }
    }
    if (dp != NULL)
        closedir(dp);
    return stop;
}

int disk_tree_walk(const char *base, disk_vdir_fn visit, void *arg)
{
    return walk_dir(base, "", visit, arg, 0);
}

int disk_tree_versions(DIR *vdir, const char *module, disk_version_fn fn, void *arg)
{
    for (struct dirent *v; (v = readdir(vdir)) != NULL;) {
        size_t l = strlen(v->d_name);
        char esc[256], ver[256];
        struct stat st;
        if (l <= 5 || v->d_name[0] == '.' || strcmp(v->d_name + l - 5, ".info") != 0 || l - 5 >= sizeof(esc))
            continue;
        snprintf(esc, sizeof(esc), "%.*s", (int)(l - 5), v->d_name);
        if (disk_unescape(esc, ver, sizeof(ver)) != 0 || fstatat(dirfd(vdir), v->d_name, &st, 0) != 0)
            continue;
        int rc = fn(arg, module, ver, &st);
        if (rc != 0)
            return rc;
    }
    return 0;
}
