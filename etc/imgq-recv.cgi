#!/bin/sh
# imgq-recv as a CGI program: the web server runs this file for every
# request under the path it maps (see etc/nginx-imgq.conf,
# etc/lighttpd-imgq.conf, etc/apache-imgq.conf); it adds the settings of
# /etc/imgq/imgq.env to the request's CGI environment and runs imgq-recv.
# Install: install -D -m 755 etc/imgq-recv.cgi /usr/local/lib/imgq/imgq-recv.cgi
exec /usr/local/bin/imgq-env /etc/imgq/imgq.env /usr/local/bin/imgq-recv
