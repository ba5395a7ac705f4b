import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * HINDSITE API clients use OAuth 2.0 client credentials: POST {Base URL}/oauth/token with the client id and secret
 * in a form body, then `Authorization: Bearer <token>`. n8n's OAuth2 machinery fetches the token, stores it in the
 * credential and fetches a new one when the API answers 401.
 */
export class HindsiteOAuth2Api implements ICredentialType {
	name = 'hindsiteOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Hindsite OAuth2 API';

	icon: Icon = { light: 'file:hindsite.svg', dark: 'file:hindsite.dark.svg' };

	documentationUrl = 'https://api-docs.hindsiteind.com/hindsite-api/introduction';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://app.hindsiteind.com',
			required: true,
			description:
				'Where the HINDSITE API lives. Keep the default for HINDSITE itself; point it at a local sandbox to try the node without an account.',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'clientCredentials',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: '={{ $self["baseUrl"].trim().replace(/\\/+$/, "") }}/oauth/token',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];

	// "Test" fetches a token (so the client id and secret are checked) and lists deliveries (so admin rights are).
	// n8n's credential tester runs this request through its OAuth2 path, which fetches a token when none is stored, so
	// a freshly created credential passes; without a `test`, n8n would only check for a stored token and always fail.
	// n8n 2.8 loses the HTTP response before matching `rules`, so the editor may show its generic text instead.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ $credentials.baseUrl.trim().replace(/\\/+$/, "") }}',
			url: '/api/v2/webhook_deliveries',
			method: 'GET',
			qs: { page: 1 },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The credentials work, but this client is not an admin in its HINDSITE organisation',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'HINDSITE refused the access token. Check the Client ID and Client Secret.',
				},
			},
		],
	};
}
