/*
 * s3_cred.h: the credential chain's parts that are not the environment:
 * shared credentials and config files (INI with profiles), container
 * credentials and EC2 instance metadata (IMDSv2), with short timeouts.
 */
#ifndef IMGQ_S3_CRED_H
#define IMGQ_S3_CRED_H

#include "err.h"
#include "s3.h"

/*
 * Looks up key in section [profile] (credentials file style, is_config 0)
 * or [profile name] / [default] (config file style) of an INI file.
 * Returns 1 found, 0 absent (file or key), -1 on a read error.
 */
int	s3_ini_get(const char *, int, const char *, const char *, char *,
	    size_t, struct err *);

/* 1 when the file has the profile's section, 0 when not. */
int	s3_ini_has_profile(const char *, int, const char *);

/*
 * Fetches credentials from c->cred_url for c->cred_source (CONTAINER:
 * one GET with c->cred_auth as Authorization; IMDS: token, role, then
 * the role's credentials), filling the keys, token and expiry.
 * EX_CONFIG when nothing answers (the chain ends there), EX_PROTOCOL
 * when the answer does not parse.
 */
int	s3_cred_fetch(struct s3_conf *, struct err *);

/*
 * Takes the keys, token and expiry from a credential document (the JSON
 * of a container endpoint: AccessKeyId, SecretAccessKey, Token,
 * Expiration); EX_PROTOCOL when the keys are not there.
 */
int	s3_cred_parse(struct s3_conf *, const char *, size_t, struct err *);

/* s3_cred_load again, from the path kept in c->cred_url. */
int	s3_cred_reload(struct s3_conf *, struct err *);

/* A top-level string member of a JSON object (small, flat answers). */
int	s3_json_str(const char *, size_t, const char *, char *, size_t);

#endif
