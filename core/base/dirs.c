#include "dirs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dirs_make(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return errno = ENAMETOOLONG, -1;
    for (char *p = buf + 1; *p; ++p) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int dirs_make_parent(const char *file)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s", file) >= (int)sizeof(dir))
        return errno = ENAMETOOLONG, -1;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0; /* the current directory, or / */
    *slash = '\0';
    return dirs_make(dir);
}

int dirs_beside_binary(const char *const *rels, char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    struct stat st;
    for (; *rels != NULL; ++rels)
        if (snprintf(out, len, "%s/%s", exe, *rels) < (int)len && stat(out, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
    return -1;
}
