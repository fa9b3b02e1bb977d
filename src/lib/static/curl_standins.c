/*
 * curl_standins.c: what the programs that talk to S3 link in place of the
 * libraries Debian's libcurl.a refers to but imgq never uses.
 *
 * With STATIC=1 (the default, see the Makefile and src/lib/static/libs) the
 * programs link libcurl, OpenSSL, hiredis and libmagic from their static
 * archives as non-PIE executables, so a start maps one executable and libc
 * instead of 33 shared libraries: s3get and s3put start once or twice per
 * job, imgq-recv once per CGI request, and the dynamic loader was three
 * quarters of their CPU.  Debian ships no archive of librtmp, OpenLDAP,
 * GSS-API, libssh2, nghttp2, libpsl or libidn2's libunistring, and libcurl
 * refers to them through its protocol table and version report.  imgq
 * restricts every transfer to http and https (CURLOPT_PROTOCOLS_STR), asks
 * for HTTP/1.1 (CURLOPT_HTTP_VERSION), keeps no cookies and uses no
 * Negotiate authentication, so none of these functions is ever reached.
 * Each one that could only be reached through such a feature says which
 * and aborts; the few libcurl calls at start and in curl_version_info()
 * get answers that say "not here" (no IDN, version "absent").
 *
 * Written for libcurl 7.88 (Debian 12); src/lib/static/libs links the shared
 * libcurl instead on any other version.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
standin_hit(const char *name)
{
	static const char a[] = "imgq: fatal: libcurl called ";
	static const char b[] = ", which this build (STATIC=1) leaves out\n";

	(void)!write(2, a, sizeof(a) - 1);
	(void)!write(2, name, strlen(name));
	(void)!write(2, b, sizeof(b) - 1);
	abort();
}

#define STANDIN(f)		\
	void f(void);		\
	void			\
	f(void)			\
	{			\
		standin_hit(#f);	\
	}

/* Reached at curl_global_init() and curl_global_cleanup(). */
int	libssh2_init(int);
void	libssh2_exit(void);

int
libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

void
libssh2_exit(void)
{
}

/* Reached by curl_version() and curl_version_info(). */
const char	*libssh2_version(int);
const char	*idn2_check_version(const char *);

const char *
libssh2_version(int req)
{
	(void)req;
	return "absent";
}

struct standin_nghttp2_info {	/* nghttp2_info's layout */
	int		 age;
	int		 version_num;
	const char	*version_str;
	const char	*proto_str;
};
void	*nghttp2_version(int);

void *
nghttp2_version(int least)
{
	static struct standin_nghttp2_info info = { 1, 0, "absent", "h2" };

	(void)least;
	return &info;
}

/* NULL: libcurl reports no IDN support. */
const char *
idn2_check_version(const char *req)
{
	(void)req;
	return NULL;
}

/*
 * A host name outside ASCII: refused (IDN2_ENCODING_ERROR), so curl fails
 * the transfer with an error instead of reaching the network.
 */
int	idn2_lookup_ul(const char *, char **, int);

int
idn2_lookup_ul(const char *src, char **lookupname, int flags)
{
	(void)src;
	(void)flags;
	*lookupname = NULL;
	return -200;
}

/* GSS-API's name type object, read only on the Negotiate path. */
void	*GSS_C_NT_HOSTBASED_SERVICE;
void	*GSS_C_NT_HOSTBASED_SERVICE = NULL;

STANDIN(idn2_free)

/* librtmp (rtmp://) */
STANDIN(RTMP_Alloc)
STANDIN(RTMP_Close)
STANDIN(RTMP_Connect1)
STANDIN(RTMP_ConnectStream)
STANDIN(RTMP_Free)
STANDIN(RTMP_Init)
STANDIN(RTMP_Read)
STANDIN(RTMP_SetBufferMS)
STANDIN(RTMP_SetupURL)
STANDIN(RTMP_Write)

/* OpenLDAP (ldap://) */
STANDIN(ldap_abandon_ext)
STANDIN(ldap_err2string)
STANDIN(ldap_free_urldesc)
STANDIN(ldap_get_attribute_ber)
STANDIN(ldap_get_dn_ber)
STANDIN(ldap_get_option)
STANDIN(ldap_init_fd)
STANDIN(ldap_memfree)
STANDIN(ldap_msgfree)
STANDIN(ldap_msgtype)
STANDIN(ldap_parse_result)
STANDIN(ldap_parse_sasl_bind_result)
STANDIN(ldap_pvt_url_scheme2proto)
STANDIN(ldap_result)
STANDIN(ldap_sasl_bind)
STANDIN(ldap_search_ext)
STANDIN(ldap_set_option)
STANDIN(ldap_start_tls)
STANDIN(ldap_unbind_ext)
STANDIN(ldap_url_parse)

/* OpenLDAP liblber (ldap://) */
STANDIN(ber_bvfree)
STANDIN(ber_free)
STANDIN(ber_memfree)
STANDIN(ber_sockbuf_add_io)

/* GSS-API (Negotiate and Kerberos authentication) */
STANDIN(gss_delete_sec_context)
STANDIN(gss_display_name)
STANDIN(gss_display_status)
STANDIN(gss_import_name)
STANDIN(gss_init_sec_context)
STANDIN(gss_inquire_context)
STANDIN(gss_release_buffer)
STANDIN(gss_release_name)
STANDIN(gss_unwrap)
STANDIN(gss_wrap)

/* libssh2 (scp:// and sftp://) */
STANDIN(libssh2_agent_connect)
STANDIN(libssh2_agent_disconnect)
STANDIN(libssh2_agent_free)
STANDIN(libssh2_agent_get_identity)
STANDIN(libssh2_agent_init)
STANDIN(libssh2_agent_list_identities)
STANDIN(libssh2_agent_userauth)
STANDIN(libssh2_channel_free)
STANDIN(libssh2_channel_read_ex)
STANDIN(libssh2_channel_send_eof)
STANDIN(libssh2_channel_wait_closed)
STANDIN(libssh2_channel_wait_eof)
STANDIN(libssh2_channel_write_ex)
STANDIN(libssh2_hostkey_hash)
STANDIN(libssh2_knownhost_add)
STANDIN(libssh2_knownhost_checkp)
STANDIN(libssh2_knownhost_del)
STANDIN(libssh2_knownhost_free)
STANDIN(libssh2_knownhost_get)
STANDIN(libssh2_knownhost_init)
STANDIN(libssh2_knownhost_readfile)
STANDIN(libssh2_knownhost_writefile)
STANDIN(libssh2_scp_recv2)
STANDIN(libssh2_scp_send64)
STANDIN(libssh2_session_abstract)
STANDIN(libssh2_session_block_directions)
STANDIN(libssh2_session_callback_set)
STANDIN(libssh2_session_disconnect_ex)
STANDIN(libssh2_session_flag)
STANDIN(libssh2_session_free)
STANDIN(libssh2_session_handshake)
STANDIN(libssh2_session_hostkey)
STANDIN(libssh2_session_init_ex)
STANDIN(libssh2_session_last_errno)
STANDIN(libssh2_session_last_error)
STANDIN(libssh2_session_method_pref)
STANDIN(libssh2_session_set_blocking)
STANDIN(libssh2_sftp_close_handle)
STANDIN(libssh2_sftp_init)
STANDIN(libssh2_sftp_last_error)
STANDIN(libssh2_sftp_mkdir_ex)
STANDIN(libssh2_sftp_open_ex)
STANDIN(libssh2_sftp_read)
STANDIN(libssh2_sftp_readdir_ex)
STANDIN(libssh2_sftp_rename_ex)
STANDIN(libssh2_sftp_rmdir_ex)
STANDIN(libssh2_sftp_seek64)
STANDIN(libssh2_sftp_shutdown)
STANDIN(libssh2_sftp_stat_ex)
STANDIN(libssh2_sftp_statvfs)
STANDIN(libssh2_sftp_symlink_ex)
STANDIN(libssh2_sftp_unlink_ex)
STANDIN(libssh2_sftp_write)
STANDIN(libssh2_userauth_authenticated)
STANDIN(libssh2_userauth_keyboard_interactive_ex)
STANDIN(libssh2_userauth_list)
STANDIN(libssh2_userauth_password_ex)
STANDIN(libssh2_userauth_publickey_fromfile_ex)

/* nghttp2 (HTTP/2) */
STANDIN(nghttp2_http2_strerror)
STANDIN(nghttp2_is_fatal)
STANDIN(nghttp2_option_del)
STANDIN(nghttp2_option_new)
STANDIN(nghttp2_option_set_no_rfc9113_leading_and_trailing_ws_validation)
STANDIN(nghttp2_pack_settings_payload)
STANDIN(nghttp2_priority_spec_init)
STANDIN(nghttp2_session_callbacks_del)
STANDIN(nghttp2_session_callbacks_new)
STANDIN(nghttp2_session_callbacks_set_error_callback)
STANDIN(nghttp2_session_callbacks_set_on_begin_headers_callback)
STANDIN(nghttp2_session_callbacks_set_on_data_chunk_recv_callback)
STANDIN(nghttp2_session_callbacks_set_on_frame_recv_callback)
STANDIN(nghttp2_session_callbacks_set_on_header_callback)
STANDIN(nghttp2_session_callbacks_set_on_stream_close_callback)
STANDIN(nghttp2_session_callbacks_set_send_callback)
STANDIN(nghttp2_session_check_request_allowed)
STANDIN(nghttp2_session_client_new2)
STANDIN(nghttp2_session_del)
STANDIN(nghttp2_session_get_remote_settings)
STANDIN(nghttp2_session_get_remote_window_size)
STANDIN(nghttp2_session_get_stream_remote_window_size)
STANDIN(nghttp2_session_get_stream_user_data)
STANDIN(nghttp2_session_mem_recv)
STANDIN(nghttp2_session_resume_data)
STANDIN(nghttp2_session_send)
STANDIN(nghttp2_session_set_local_window_size)
STANDIN(nghttp2_session_set_stream_user_data)
STANDIN(nghttp2_session_upgrade2)
STANDIN(nghttp2_session_want_read)
STANDIN(nghttp2_session_want_write)
STANDIN(nghttp2_strerror)
STANDIN(nghttp2_submit_ping)
STANDIN(nghttp2_submit_priority)
STANDIN(nghttp2_submit_request)
STANDIN(nghttp2_submit_rst_stream)
STANDIN(nghttp2_submit_settings)

/* libpsl (cookie domains) */
STANDIN(psl_builtin)
STANDIN(psl_free)
STANDIN(psl_is_cookie_domain_acceptable)
STANDIN(psl_latest)

/* libidn2 (host names outside ASCII) */
