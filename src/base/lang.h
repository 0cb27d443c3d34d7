/*
 * lang.h - picking the reader's language from a name or text held in zh, bo and en (the
 * issue-18 "i18n_pick"): one rule everywhere. zh is the reference language every record has;
 * bo or en is used when the reader asked for it and it is present and not empty.
 */
#ifndef ONEWINDOW_BASE_LANG_H
#define ONEWINDOW_BASE_LANG_H

/* The text for `lang` ("zh", "bo" or "en"; anything else reads zh), falling back to zh.
 * When picked is not NULL it gets the language of the text returned ("zh" on a fallback),
 * so that a page can mark Chinese standing in on a Tibetan page (lang="zh"). */
const char *lang_pick(const char *lang, const char *zh, const char *bo, const char *en,
                      const char **picked);

#endif
